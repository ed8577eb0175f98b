"""Signed links, through a real request: a small view here reads the token the
way the survey and confirmation views do."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import include, path, reverse
from django.utils import timezone

from members.models import Member
from network_portal.signing import MAX_AGE, InvalidLink, invalid_link_response, make_token, read_token
from tests.factories import MemberFactory

from .outbox_support import fast_passwords  # noqa: F401 - fixture

SURVEY = "meeting-survey"
INVALID_HEADING = "This link is invalid or has expired"


def _survey(request, token):
    try:
        member = read_token(token, purpose=SURVEY, queryset=Member.objects.all())
    except InvalidLink:
        return invalid_link_response(request)
    return HttpResponse(f"Survey for member {member.pk}")


urlpatterns = [
    path("test-survey/<str:token>/", _survey, name="test-survey"),
    path("", include("network_portal.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__), pytest.mark.usefixtures("fast_passwords")]


def _open(client, token):
    return client.get(reverse("test-survey", kwargs={"token": token}))


def _assert_clear_invalid_page(response):
    assert response.status_code == 400
    assert "network_portal/link_invalid.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert f"<h1>{INVALID_HEADING}</h1>" in content
    assert "60 days" in content


def test_link_opens_the_object_it_names(client):
    member = MemberFactory()

    response = _open(client, make_token(obj=member, purpose=SURVEY))

    assert response.status_code == 200
    assert response.content.decode() == f"Survey for member {member.pk}"


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_tampered_link_gives_the_clear_page(client, where):
    token = make_token(obj=MemberFactory(), purpose=SURVEY)
    index = 1 if where == "payload" else -1
    tampered = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]

    _assert_clear_invalid_page(_open(client, tampered))


def test_link_works_until_60_days_and_then_gives_the_clear_page(client):
    assert timedelta(days=60) == MAX_AGE
    member = MemberFactory()
    made = timezone.now()
    token = make_token(obj=member, purpose=SURVEY)

    with time_machine.travel(made + MAX_AGE - timedelta(minutes=1)):
        assert _open(client, token).status_code == 200
    with time_machine.travel(made + MAX_AGE + timedelta(minutes=1)):
        _assert_clear_invalid_page(_open(client, token))


def test_link_made_for_another_purpose_gives_the_clear_page(client):
    token = make_token(obj=MemberFactory(), purpose="digest-unsubscribe")

    _assert_clear_invalid_page(_open(client, token))


def test_link_naming_another_model_with_the_same_id_gives_the_clear_page(client):
    member = MemberFactory()
    token = make_token(obj=get_user_model()(pk=member.pk), purpose=SURVEY)

    _assert_clear_invalid_page(_open(client, token))


def test_link_to_a_deleted_object_gives_the_clear_page(client):
    member = MemberFactory()
    token = make_token(obj=member, purpose=SURVEY)
    member.delete()

    _assert_clear_invalid_page(_open(client, token))


@pytest.mark.parametrize("token", ["garbage", "a:b:c", "é", "x" * 2000, "eyJtb2RlbCI6Im1lbWJlcnMifQ:1:2"])
def test_malformed_link_gives_the_clear_page(client, token):
    _assert_clear_invalid_page(_open(client, token))
