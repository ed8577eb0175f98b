"""Ending a membership ends its access: deactivation, rejection, becoming a
former councillor and erasure each cancel the person's future bookings and
registrations (the seat goes to the first person waiting, who is emailed),
stop their scheduled email and revoke their calendar feed, in one transaction."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import CalendarFeed, Registration
from members import membership_end, services
from members.models import Member, Reconfirmation
from network_portal.models import OutboxEmail
from network_portal.schedules import registered, scheduled_email_scan, shift
from tests.factories import MemberFactory
from tests.meetings.factories import MeetingFactory
from tests.training.factories import BookingFactory, SessionFactory, past_session
from training import services as training_services
from training.models import Booking

pytestmark = pytest.mark.django_db

STARTS_IN = timedelta(days=10)


def _deactivate(member):
    services.user_deactivate(user=member.user)


def _reject(member):
    services.member_reject(member=member, reason="Not a London council.")


def _lapse(member):
    now = timezone.now()
    Reconfirmation.objects.create(
        member=member, requested_at=now - timedelta(days=30), deadline=now - timedelta(days=1)
    )
    assert services.reconfirmation_lapse_overdue() == 1


def _answer_no_longer_serving(member):
    request = Reconfirmation.objects.create(member=member, deadline=timezone.now() + timedelta(days=20))
    services.reconfirmation_answer(reconfirmation=request, still_serving=False)


def _erase(member):
    services.member_erase(user=member.user)


ENDINGS = {
    "deactivation": _deactivate,
    "rejection": _reject,
    "former-lapsed": _lapse,
    "former-no-longer-serving": _answer_no_longer_serving,
    "erasure": _erase,
}


def _full_session_and_meeting(leaving, waiting):
    """One seat each, held by `leaving`, with `waiting` first in both queues."""
    session = SessionFactory(capacity=1, starts_at=timezone.now().replace(microsecond=0) + STARTS_IN)
    seat = training_services.booking_create(member=leaving, session=session)
    queued = training_services.booking_create(member=waiting, session=session)
    meeting = MeetingFactory(in_person_capacity=1, starts_at=timezone.now().replace(microsecond=0) + STARTS_IN)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    meeting.save()
    registration = meeting_services.registration_create(meeting_id=meeting.pk, user=leaving.user, mode="in_person")
    queued_registration = meeting_services.registration_create(
        meeting_id=meeting.pk, user=waiting.user, mode="in_person", waitlist_ok=True
    )
    assert (seat.status, queued.status) == (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)
    assert queued_registration.status == Registration.Status.WAITLISTED
    return session, seat, queued, meeting, registration, queued_registration


def _reminder_keys(event, user_id: int, member_id: int) -> set[str]:
    return set(
        OutboxEmail.objects.filter(dedupe_key__contains=f":{event._meta.model_name}:{event.pk}:member:")
        .filter(dedupe_key__regex=rf":member:({user_id}|{member_id}):7d$")
        .values_list("dedupe_key", flat=True)
    )


@pytest.mark.parametrize("ending", list(ENDINGS), ids=list(ENDINGS))
def test_membership_end_frees_seats_promotes_waiting_and_stops_reminders(ending, django_capture_on_commit_callbacks):
    leaving, waiting = MemberFactory(), MemberFactory()
    session, seat, queued, meeting, registration, queued_registration = _full_session_and_meeting(leaving, waiting)
    CalendarFeed.objects.create(user=leaving.user)
    attended = BookingFactory(session=past_session(days_ago=3), member=leaving, attended=Booking.Attended.YES)
    # An email already waiting to go to them (a reminder written ahead of time).
    stale = OutboxEmail.objects.create(
        user=leaving.user,
        to_email=leaving.user.email,
        subject="Reminder",
        body_text="x",
        kind="reminder",
        dedupe_key=f"test-pending:{leaving.pk}",
        not_before=timezone.now() + timedelta(days=1),
    )

    with django_capture_on_commit_callbacks():
        ENDINGS[ending](leaving)

    seat.refresh_from_db()
    queued.refresh_from_db()
    registration.refresh_from_db()
    queued_registration.refresh_from_db()
    assert seat.status == Booking.Status.CANCELLED
    assert queued.status == Booking.Status.CONFIRMED
    assert registration.status == Registration.Status.CANCELLED
    assert queued_registration.status == Registration.Status.REGISTERED
    assert OutboxEmail.objects.filter(kind="training-promoted", user=waiting.user).count() == 1
    assert OutboxEmail.objects.filter(kind="meeting-promoted", user=waiting.user).count() == 1
    assert not CalendarFeed.objects.filter(user=leaving.user).exists()
    stale.refresh_from_db()
    assert stale.status == OutboxEmail.Status.SKIPPED
    # Past attendance stays for the figures.
    attended.refresh_from_db()
    assert (attended.status, attended.attended) == (Booking.Status.CONFIRMED, Booking.Attended.YES)

    # The scan at the 7-day reminder time writes reminders for the promoted person only.
    due = shift(session.starts_at, offset=-timedelta(days=7)) + timedelta(minutes=1)
    with django_capture_on_commit_callbacks():
        scheduled_email_scan(now=due, schedules=registered())
    assert _reminder_keys(session, leaving.user_id, leaving.pk) == set()
    assert _reminder_keys(meeting, leaving.user_id, leaving.pk) == set()
    assert _reminder_keys(session, waiting.user_id, waiting.pk) == {
        f"training-reminder:session:{session.pk}:member:{waiting.pk}:7d"
    }
    assert _reminder_keys(meeting, waiting.user_id, waiting.pk) == {
        f"reminder:meeting:{meeting.pk}:member:{waiting.user_id}:7d"
    }
    # Nor the feedback survey for the session they did attend.
    assert not OutboxEmail.objects.filter(kind="training-feedback", user=leaving.user).exists()
    assert not OutboxEmail.objects.filter(
        kind="training-feedback", dedupe_key__contains=f":{attended.session_id}:"
    ).exists()


def test_rejection_still_tells_the_member_why(django_capture_on_commit_callbacks):
    member = MemberFactory()
    with django_capture_on_commit_callbacks():
        _reject(member)
    notice = OutboxEmail.objects.get(kind="member-rejected", user=member.user)
    assert notice.status == OutboxEmail.Status.PENDING


def test_deactivating_in_the_admin_ends_access(admin_client, django_capture_on_commit_callbacks):
    leaving, waiting = MemberFactory(), MemberFactory()
    session, seat, queued, *_ = _full_session_and_meeting(leaving, waiting)
    CalendarFeed.objects.create(user=leaving.user)
    user = leaving.user
    joined = timezone.localtime(user.date_joined)
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        # is_active left out: the tick box is cleared.
    }
    with django_capture_on_commit_callbacks():
        response = admin_client.post(reverse("admin:members_user_change", args=[user.pk]), data)
    assert response.status_code == 302
    user.refresh_from_db()
    seat.refresh_from_db()
    queued.refresh_from_db()
    assert user.is_active is False
    assert (seat.status, queued.status) == (Booking.Status.CANCELLED, Booking.Status.CONFIRMED)
    assert not CalendarFeed.objects.filter(user=user).exists()


def test_a_failing_handler_rolls_the_whole_ending_back():
    leaving, waiting = MemberFactory(), MemberFactory()
    session, seat, queued, *_ = _full_session_and_meeting(leaving, waiting)

    def broken(*, user, now):
        raise RuntimeError("handler failed")

    membership_end.membership_end_handlers.register(broken)
    try:
        with pytest.raises(RuntimeError):
            _reject(leaving)
    finally:
        membership_end.membership_end_handlers.unregister(broken)
    leaving.refresh_from_db()
    seat.refresh_from_db()
    assert leaving.status == Member.Status.APPROVED
    assert seat.status == Booking.Status.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_running_handlers_outside_a_transaction_is_refused():
    member = MemberFactory()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        membership_end.run(user=member.user, now=timezone.now())
