"""Staff approval and rejection in admin, and the pending count on the admin index."""

import pytest
from django.urls import reverse

from members.models import Member
from network_portal.models import OutboxEmail
from tests.factories import UserFactory

from .factories import member_at

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_member_changelist"


def _act(client, action, members, **extra):
    data = {"action": action, "_selected_action": [m.pk for m in members], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_approve_action_approves_and_emails_each_member(
    client, staff, camden, mailoutbox, django_capture_on_commit_callbacks
):
    pending = [member_at(camden, status="pending"), member_at(camden, status="pending")]
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = _act(client, "approve", pending)

    assert response.status_code == 302
    for member in pending:
        member.refresh_from_db()
        assert member.status == Member.Status.APPROVED
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.user.email for m in pending)
    assert all(m.subject == "Your network membership is approved" for m in mailoutbox)
    assert "members' directory" in mailoutbox[0].body
    assert OutboxEmail.objects.filter(kind="member-approved", status="sent").count() == len(pending)


def test_approving_an_approved_member_sends_nothing(client, staff, camden):
    member = member_at(camden, status="approved")
    client.force_login(staff)
    _act(client, "approve", [member])
    assert not OutboxEmail.objects.filter(kind="member-approved").exists()


def test_reject_action_asks_for_a_reason_first_and_changes_nothing(client, staff, camden):
    member = member_at(camden, status="pending")
    client.force_login(staff)

    response = _act(client, "reject", [member])

    assert response.status_code == 200
    assert b"Reason, shown to the applicant" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.PENDING
    assert not OutboxEmail.objects.exists()


def test_reject_with_reason_rejects_and_emails_the_reason(
    client, staff, camden, mailoutbox, django_capture_on_commit_callbacks
):
    member = member_at(camden, status="pending")
    client.force_login(staff)
    reason = "We could not confirm that you are a councillor at Camden."

    with django_capture_on_commit_callbacks(execute=True):
        response = _act(client, "reject", [member], reason=reason)

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.status_reason) == (Member.Status.REJECTED, reason)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [member.user.email]
    assert mailoutbox[0].subject == "Your network membership application"
    assert reason in mailoutbox[0].body
    html = mailoutbox[0].alternatives[0][0]
    assert "We could not confirm" in html


def test_reject_with_blank_reason_is_refused(client, staff, camden):
    member = member_at(camden, status="pending")
    client.force_login(staff)
    response = _act(client, "reject", [member], reason="   ")
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.status == Member.Status.PENDING


def test_rejected_member_sees_the_reason_on_member_only_pages(client, camden):
    member = member_at(camden, status="rejected", status_reason="Not a London council.")
    client.force_login(member.user)
    response = client.get(reverse("members:directory"))
    assert response.status_code == 403
    assert b"Not a London council." in response.content


def test_admin_index_shows_pending_members_who_verified_their_email(client, staff, camden):
    waiting = [member_at(camden, status="pending") for _ in range(3)]
    member_at(camden, status="pending", user=UserFactory(verified=False))  # has not proved the address yet
    member_at(camden, status="approved")
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    counts = {item["label"]: item["count"] for item in response.context["attention"]}
    assert counts["Members waiting for approval"] == len(waiting)
    assert "status__exact=pending" in response.content.decode()


def test_member_status_cannot_be_edited_directly_in_the_change_form(client, staff, camden):
    member = member_at(camden, status="pending")
    client.force_login(staff)
    response = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()
