"""The site's header and footer come from copies kept per kind of visitor
(network_portal/site_layout.py): each kind sees its own links, the log-out form carries
each request's own token, and links that follow permissions show on the next request."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from members.models import Member
from network_portal import site_layout
from tests.factories import UserFactory
from tests.members.factories import member_at

pytestmark = pytest.mark.django_db

ACCOUNT = "/account/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _layout(html: str) -> str:
    """The header and footer, with the CSRF token taken out (it differs on every request)."""
    header = re.search(r"<header class=\"site-header\">.*?</header>", html, re.S).group(0)
    footer = re.search(r"<footer class=\"site-footer.*?</footer>", html, re.S).group(0)
    return TOKEN.sub("TOKEN", header + footer)


def _templates(response) -> set[str]:
    return {template.name for template in response.templates}


@pytest.fixture(autouse=True)
def _no_copies():
    site_layout._copies.clear()


@pytest.fixture
def camden(london_councils):
    return london_councils.get(slug="camden")


@pytest.mark.parametrize("status", [None, Member.Status.PENDING, Member.Status.APPROVED])
def test_a_kept_header_and_footer_are_what_a_fresh_render_gives(client, camden, status):
    path = reverse("account_login") if status is None else ACCOUNT
    if status is not None:
        client.force_login(member_at(camden, status=status).user)

    fresh = client.get(path)
    kept = client.get(path)

    assert {"_site_header.html", "_site_footer.html"} <= _templates(fresh)
    assert not {"_site_header.html", "_site_footer.html"} & _templates(kept), "the second should be the copy"
    assert _layout(kept.text) == _layout(fresh.text)


def test_each_kind_of_visitor_gets_its_own_links(client, camden):
    visitor = _layout(client.get(reverse("account_login")).text)
    client.force_login(member_at(camden, status=Member.Status.PENDING).user)
    pending = _layout(client.get(ACCOUNT).text)
    client.force_login(member_at(camden, status=Member.Status.APPROVED).user)
    approved = _layout(client.get(ACCOUNT).text)

    assert "Log in" in visitor and "Log out" not in visitor
    assert "Log out" in pending and reverse("members:directory") not in pending
    assert "Log out" in approved and reverse("members:directory") in approved


def test_the_log_out_form_in_a_kept_header_carries_each_visitors_own_token(camden):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(member_at(camden).user)
    second.force_login(member_at(camden).user)

    first_token = TOKEN.search(first.get(ACCOUNT).text).group(1)
    second_page = second.get(ACCOUNT)
    second_token = TOKEN.search(second_page.text).group(1)
    assert "_site_header.html" not in _templates(second_page), "the second member's header should be the copy"

    assert first_token != second_token
    assert second.post(reverse("account_logout"), {"csrfmiddlewaretoken": second_token}).status_code == 302
    assert "Log in" in _layout(second.get(reverse("account_login")).text)


def test_a_permission_granted_to_an_evaluator_shows_its_link_on_the_next_request(client, camden):
    evaluator = UserFactory()
    client.force_login(evaluator)
    assert "Evaluators' export" not in _layout(client.get(ACCOUNT).text)

    evaluator.user_permissions.add(Permission.objects.get(codename="export_research"))

    assert "Evaluators' export" in _layout(client.get(ACCOUNT).text)
    client.force_login(member_at(camden).user)
    assert "Evaluators' export" not in _layout(client.get(ACCOUNT).text)
