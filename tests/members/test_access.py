"""One access rule for member-only features, as a decorator and a mixin."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.views import View

from members.access import ApprovedMemberRequiredMixin, approved_member_required, is_approved_member
from members.models import Member
from tests.factories import UserFactory

from .factories import member_at

pytestmark = pytest.mark.django_db

STATUS_TEXT = {
    "pending": b"waiting for approval",
    "rejected": b"was not approved",
    "former": b"former councillor",
}


@approved_member_required
def _decorated(request):
    return HttpResponse("member content")


class _MixinView(ApprovedMemberRequiredMixin, View):
    def get(self, request):
        return HttpResponse("member content")


VIEWS = {"decorator": _decorated, "mixin": _MixinView.as_view()}


def _user_for(kind, council):
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "staff":
        return UserFactory(is_staff=True)
    if kind == "no-membership":
        return UserFactory()
    return member_at(council, status=kind).user


def _call(view_name, user):
    request = RequestFactory().get("/somewhere/members-only/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return VIEWS[view_name](request)


@pytest.mark.parametrize("view_name", VIEWS)
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("anonymous", 302),
        ("pending", 403),
        ("rejected", 403),
        ("former", 403),
        ("no-membership", 403),
        ("approved", 200),
        ("staff", 200),
    ],
)
def test_only_approved_members_and_staff_pass_the_access_rule(view_name, kind, expected, camden):
    response = _call(view_name, _user_for(kind, camden))
    assert response.status_code == expected
    if expected == 302:
        assert response.url.startswith(reverse("account_login"))
        assert "next=/somewhere/members-only/" in response.url


@pytest.mark.parametrize("status", ["pending", "rejected", "former"])
def test_refused_member_is_told_their_status_and_what_happens_next(client, camden, status):
    member = member_at(camden, status=status)
    client.force_login(member.user)

    response = client.get(reverse("members:directory"))

    assert response.status_code == 403
    assert STATUS_TEXT[status] in response.content.lower()
    assert b"members&#x27; directory" in response.content or b"members' directory" in response.content


def test_pending_member_sees_their_status_on_my_account(client, camden):
    member = member_at(camden, status="pending")
    client.force_login(member.user)
    response = client.get(reverse("members:account"))
    assert response.status_code == 200
    assert b"waiting for approval" in response.content.lower()


def test_deactivated_login_is_not_an_approved_member(camden):
    member = member_at(camden, status="approved")
    member.user.is_active = False
    assert not is_approved_member(member.user)


def test_directory_for_anonymous_visitor_redirects_to_login(client):
    response = client.get(reverse("members:directory"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_approved_member_opens_the_directory(client, camden):
    member = member_at(camden, status=Member.Status.APPROVED)
    client.force_login(member.user)
    assert client.get(reverse("members:directory")).status_code == 200
