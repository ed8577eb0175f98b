"""Two staff approving the same member at the same moment: one approval, one email."""

import pytest

from members import services
from members.models import Member
from network_portal.models import OutboxEmail
from tests.concurrency import run_at_once

from .factories import member_at


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_approve_once_and_email_once(london_councils):
    member = member_at(london_councils.get(slug="camden"), status="pending")
    results, errors = run_at_once([lambda: services.member_approve(member=member)] * 4)

    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert Member.objects.get(pk=member.pk).status == Member.Status.APPROVED
    assert OutboxEmail.objects.filter(kind="member-approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_verification_signals_email_staff_once(london_councils, settings):
    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test"]
    member = member_at(london_councils.get(slug="camden"), status="pending")
    _, errors = run_at_once([lambda: services.member_email_verified(user=member.user, email=member.user.email)] * 3)

    assert errors == []
    assert OutboxEmail.objects.filter(kind="staff-member-pending").count() == 1
