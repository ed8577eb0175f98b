"""Two staff approving the same member at the same moment: one approval, one email."""

import threading

import pytest
from django.db import connection

from members import services
from members.models import Member
from network_portal.models import OutboxEmail

from .factories import member_at


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_approve_once_and_email_once(london_councils):
    member = member_at(london_councils.get(slug="camden"), status="pending")
    start = threading.Barrier(4)
    results = []

    def approve():
        try:
            start.wait()
            results.append(services.member_approve(member=member))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert Member.objects.get(pk=member.pk).status == Member.Status.APPROVED
    assert OutboxEmail.objects.filter(kind="member-approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_verification_signals_email_staff_once(london_councils, settings):
    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test"]
    member = member_at(london_councils.get(slug="camden"), status="pending")
    start = threading.Barrier(3)

    def verify():
        try:
            start.wait()
            services.member_email_verified(user=member.user, email=member.user.email)
        finally:
            connection.close()

    threads = [threading.Thread(target=verify) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert OutboxEmail.objects.filter(kind="staff-member-pending").count() == 1
