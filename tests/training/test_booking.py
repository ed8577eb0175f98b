from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Member
from network_portal.models import OutboxEmail
from tests.factories import MemberFactory
from training import services
from training.models import Booking, Session

from .factories import BookingFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db


def _book(member, session):
    return services.booking_create(member=member, session=session)


def test_booking_with_seats_left_is_confirmed_and_emailed(django_capture_on_commit_callbacks, mailoutbox):
    session = SessionFactory(capacity=2)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(member, session)
    assert booking.status == Booking.Status.CONFIRMED
    row = OutboxEmail.objects.get(dedupe_key=f"training-confirmation:booking:{booking.pk}")
    assert row.to_email == member.user.email
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "booked" in message.subject
    assert "Samaritans on 116 123" in message.body
    assert "NHS 111" in message.body
    assert "You get this email because" in message.body
    assert message.attachments[0][0] == f"training-session-{session.pk}.ics"


def test_booking_when_full_joins_waiting_list_in_order(django_capture_on_commit_callbacks, mailoutbox):
    session = SessionFactory(capacity=1)
    first, second, third = MemberFactory(), MemberFactory(), MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _book(first, session)
        waiting_a = _book(second, session)
        waiting_b = _book(third, session)
    assert waiting_a.status == waiting_b.status == Booking.Status.WAITLISTED
    assert services.waitlist_position(waiting_a) == 1
    assert services.waitlist_position(waiting_b) == 2
    waitlisted_mail = [m for m in mailoutbox if "waiting list" in m.subject]
    assert [m.to for m in waitlisted_mail] == [[second.user.email], [third.user.email]]
    assert "number 2" in waitlisted_mail[1].body


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"status": Session.Status.CANCELLED}, "cancelled", "cancelled"),
        ({"status": Session.Status.CLOSED}, "not-open", "not open"),
        ({"status": Session.Status.DRAFT}, "not-open", "not open"),
    ],
)
def test_booking_a_session_that_is_not_open_is_refused_and_writes_nothing(change, code, words):
    session = SessionFactory(**change)
    with pytest.raises(services.BookingRefused) as refusal:
        _book(MemberFactory(), session)
    assert refusal.value.code == code
    assert words in refusal.value.message
    assert not Booking.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_booking_a_past_session_is_refused():
    session = past_session()
    with pytest.raises(services.BookingRefused, match="already started or taken place"):
        _book(MemberFactory(), session)
    assert not Booking.objects.exists()


def test_booking_after_the_deadline_is_refused_with_the_date():
    now = timezone.now()
    session = SessionFactory(booking_deadline=now - timedelta(hours=1))
    with pytest.raises(services.BookingRefused, match="closed on") as refusal:
        _book(MemberFactory(), session)
    assert refusal.value.code == "deadline"
    assert not Booking.objects.exists()


@pytest.mark.parametrize("status", [Member.Status.PENDING, Member.Status.REJECTED, Member.Status.FORMER])
def test_only_approved_members_can_book(status):
    with pytest.raises(services.BookingRefused, match="Only approved network members") as refusal:
        _book(MemberFactory(status=status), SessionFactory())
    assert refusal.value.code == "not-approved"
    assert not Booking.objects.exists()


def test_booking_twice_is_refused_and_leaves_one_row():
    session, member = SessionFactory(), MemberFactory()
    _book(member, session)
    with pytest.raises(services.BookingRefused, match="already booked"):
        _book(member, session)
    assert Booking.objects.count() == 1


def test_booking_twice_while_waiting_says_so():
    session = SessionFactory(capacity=0)
    member = MemberFactory()
    _book(member, session)
    with pytest.raises(services.BookingRefused, match="already on the waiting list"):
        _book(member, session)


def test_booking_again_after_cancelling_makes_a_new_booking():
    session, member = SessionFactory(), MemberFactory()
    services.booking_cancel(booking=_book(member, session))
    again = _book(member, session)
    assert again.status == Booking.Status.CONFIRMED
    assert Booking.objects.filter(member=member).count() == 2


def test_database_refuses_a_second_active_booking_even_without_the_service():
    from django.db import IntegrityError, transaction

    booking = BookingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(session=booking.session, member=booking.member, status=Booking.Status.WAITLISTED)


def test_cancel_promotes_the_first_waiting_and_emails_them(django_capture_on_commit_callbacks, mailoutbox):
    session = SessionFactory(capacity=1)
    holder, first_waiting, second_waiting = MemberFactory(), MemberFactory(), MemberFactory()
    booking = _book(holder, session)
    _book(first_waiting, session)
    _book(second_waiting, session)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.booking_cancel(booking=booking)
    assert [b.member for b in promoted] == [first_waiting]
    assert Booking.objects.get(member=first_waiting).status == Booking.Status.CONFIRMED
    assert Booking.objects.get(member=second_waiting).status == Booking.Status.WAITLISTED
    assert [m.to for m in mailoutbox] == [[first_waiting.user.email]]
    assert "place has come up" in mailoutbox[0].subject
    assert OutboxEmail.objects.filter(kind="training-promoted").count() == 1


def test_leaving_the_waiting_list_promotes_nobody():
    session = SessionFactory(capacity=1)
    _book(MemberFactory(), session)
    waiting = _book(MemberFactory(), session)
    behind = _book(MemberFactory(), session)
    assert services.booking_cancel(booking=waiting) == []
    behind.refresh_from_db()
    assert behind.status == Booking.Status.WAITLISTED
    assert services.waitlist_position(behind) == 1


def test_cancelling_twice_is_refused():
    booking = _book(MemberFactory(), SessionFactory())
    services.booking_cancel(booking=booking)
    with pytest.raises(services.BookingRefused, match="already cancelled"):
        services.booking_cancel(booking=booking)


def test_cancelling_after_the_start_is_refused():
    booking = BookingFactory(session=past_session())
    with pytest.raises(services.BookingRefused, match="already started"):
        services.booking_cancel(booking=booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_raising_capacity_promotes_into_the_new_seats_first_come_first_served(
    django_capture_on_commit_callbacks, mailoutbox
):
    session = SessionFactory(capacity=1)
    _book(MemberFactory(), session)
    waiting = [_book(MemberFactory(), session) for _ in range(3)]
    mailoutbox.clear()
    session.capacity = 3
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.session_save(session=session)
    assert [b.pk for b in promoted] == [waiting[0].pk, waiting[1].pk]
    assert session.bookings.confirmed().count() == 3
    assert len(mailoutbox) == 2


def test_changing_the_time_bumps_the_calendar_sequence_but_other_edits_do_not():
    session = SessionFactory()
    session.capacity += 5
    services.session_save(session=session)
    assert session.sequence == 0
    session.starts_at += timedelta(hours=1)
    session.ends_at += timedelta(hours=1)
    services.session_save(session=session)
    session.refresh_from_db()
    assert session.sequence == 1


def test_attendance_is_marked_only_for_confirmed_bookings_of_started_sessions():
    done = past_session()
    attended = BookingFactory(session=done)
    waiting = BookingFactory(session=done, status=Booking.Status.WAITLISTED)
    future = BookingFactory()
    ids = [attended.pk, waiting.pk, future.pk]
    assert services.booking_mark_attendance(booking_ids=ids, attended=Booking.Attended.YES) == 1
    assert Booking.objects.get(pk=attended.pk).attended == Booking.Attended.YES
    assert Booking.objects.get(pk=future.pk).attended == Booking.Attended.UNKNOWN
