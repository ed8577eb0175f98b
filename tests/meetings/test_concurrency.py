import functools

import pytest

from meetings import services
from meetings.models import Registration
from network_portal.models import OutboxEmail
from tests.concurrency import run_at_once
from tests.factories import MemberFactory

from .factories import MeetingFactory


def _race(n: int, work):
    """Run work(i) in n threads released together; return the exceptions raised."""
    return run_at_once([functools.partial(work, i) for i in range(n)])[1]


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_in_person_registrations_for_ten_seats():
    seats, applicants = 10, 30
    meeting = MeetingFactory(in_person_capacity=seats)
    users = [MemberFactory().user for _ in range(applicants)]

    errors = _race(
        applicants,
        lambda i: services.registration_create(
            meeting_id=meeting.pk, user=users[i], mode=Registration.Mode.IN_PERSON, waitlist_ok=True
        ),
    )

    assert errors == []
    registrations = Registration.objects.filter(meeting=meeting)
    assert registrations.registered().in_person().count() == seats
    assert registrations.waitlisted().count() == applicants - seats
    positions = sorted(services.registration_waitlist_position(registration=r) for r in registrations.waitlisted())
    assert positions == list(range(1, applicants - seats + 1))
    assert OutboxEmail.objects.filter(kind="meeting-registered").count() == seats
    assert OutboxEmail.objects.filter(kind="meeting-waitlisted").count() == applicants - seats


@pytest.mark.django_db(transaction=True)
def test_same_member_submitting_ten_times_at_once_gets_one_registration():
    meeting = MeetingFactory(in_person_capacity=5)
    user = MemberFactory().user

    errors = _race(
        10, lambda i: services.registration_create(meeting_id=meeting.pk, user=user, mode=Registration.Mode.IN_PERSON)
    )

    assert Registration.objects.filter(meeting=meeting, user=user).count() == 1
    assert len(errors) == 9
    assert all(isinstance(e, services.RegistrationRefused) and "already registered" in e.message for e in errors)


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_the_waiting_list_in_order():
    meeting = MeetingFactory(in_person_capacity=5)
    seated = [
        services.registration_create(meeting_id=meeting.pk, user=MemberFactory().user, mode="in_person")
        for _ in range(5)
    ]
    waiting = [
        services.registration_create(
            meeting_id=meeting.pk, user=MemberFactory().user, mode="in_person", waitlist_ok=True
        )
        for _ in range(8)
    ]

    errors = _race(5, lambda i: services.registration_cancel(registration_id=seated[i].pk))

    assert errors == []
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["registered"] * 5 + ["waitlisted"] * 3
    assert Registration.objects.filter(meeting=meeting).registered().in_person().count() == 5
