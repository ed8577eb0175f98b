"""CSRF sweep: every route refuses a POST without a token, and no GET changes data."""

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import get_resolver, reverse

from members.models import Member
from tests.security.test_access_matrix import ROLES, ROUTES, World, _admin_url, _is_admin, _walk

pytestmark = pytest.mark.django_db

# Reviewed exceptions: one-click unsubscribe (RFC 8058) comes from the mail client
# without a cookie or token. The signed, purpose-bound token in the URL is the proof,
# and the only effect is turning the digest (and staff news, the same consent) off.
CSRF_EXEMPT = {"resources:digest-unsubscribe", "members:news-unsubscribe"}

# Rows a GET may write on purpose: sessions and access logs (downloads, exports, audit).
GET_MAY_WRITE = {
    "sessions.session",
    "resources.download",
    "network_portal.auditevent",
    "training.researchexportlog",
    "admin.logentry",
}


@pytest.fixture
def world(tmp_path, settings, london_councils):
    return World(tmp_path, settings)


def _client(world, role):
    client = Client(enforce_csrf_checks=True)
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["anonymous", "owner", "staff"])
def test_every_route_refuses_a_post_without_a_csrf_token(world, role):
    client = _client(world, role)
    accepted = [
        name
        for name, route in ROUTES.items()
        if name not in CSRF_EXEMPT and client.post(route.url(world)).status_code != 403
    ]
    assert not accepted, f"{role}: these routes took a POST without a CSRF token: {accepted}"


def test_every_admin_route_refuses_a_post_without_a_csrf_token(world):
    client = _client(world, "staff")
    routes = [(route, name) for route, name, _ in _walk(get_resolver().url_patterns) if _is_admin(route)]
    accepted = [name for route, name in routes if client.post(_admin_url(route)).status_code != 403]
    assert not accepted, f"Admin routes that took a POST without a CSRF token: {accepted}"


@pytest.mark.parametrize("name", sorted(CSRF_EXEMPT))
def test_one_click_unsubscribe_is_the_reviewed_exception_and_needs_its_signed_token(world, name):
    client = Client(enforce_csrf_checks=True)
    url = ROUTES[name].url(world)
    assert client.post(url).status_code == 200
    world.owner.refresh_from_db()
    assert not world.owner.consent_digest
    tampered = reverse(name, args=[url.rstrip("/").split("/")[-1][:-2] + "xx"])
    other = world.other
    Member.objects.filter(pk=other.pk).update(consent_digest=True)
    assert client.post(tampered).status_code in {400, 403, 404, 410}
    other.refresh_from_db()
    assert other.consent_digest


def _snapshot() -> dict[str, str]:
    tables = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in GET_MAY_WRITE or not model._meta.managed:
            continue
        tables[label] = serializers.serialize("json", model._default_manager.order_by("pk"))
    return tables


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_any_data(world, role):
    client = Client()
    if world.user(role) is not None:
        client.force_login(world.user(role))
    before = _snapshot()
    for route in ROUTES.values():
        client.get(route.url(world))
    after = _snapshot()
    changed = sorted(label for label in before if before[label] != after[label])
    assert not changed, f"GET requests as {role} changed: {changed}"
