import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from network_portal.models import OutboxEmail
from network_portal.schedules import registered, scheduled_email_scan
from tests.factories import MemberFactory
from training import services
from training.models import Booking, FollowUp

from .factories import BookingFactory, SessionFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _scan(now, prefix="training-"):
    return scheduled_email_scan(now=now, schedules=[s for s in registered() if s.name.startswith(prefix)])


def _rows(kind):
    return list(OutboxEmail.objects.filter(kind=kind).order_by("dedupe_key"))


def test_training_schedules_are_registered():
    names = {s.name for s in registered()}
    assert {
        "training-reminder-7d",
        "training-reminder-1d",
        "training-feedback",
        "training-followup-3m",
        "training-followup-6m",
    } <= names


def test_reminders_go_seven_days_and_one_day_before_once_each():
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    booking = services.booking_create(member=MemberFactory(), session=session)
    assert _scan(start - timedelta(days=7, minutes=1)) == 0
    for _ in range(3):
        _scan(start - timedelta(days=7) + timedelta(minutes=1))
    assert [r.dedupe_key for r in _rows("training-reminder")] == [
        f"training-reminder:session:{session.pk}:member:{booking.member_id}:7d"
    ]
    _scan(start - timedelta(days=1) + timedelta(minutes=1))
    rows = _rows("training-reminder")
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in rows] == ["1d", "7d"]
    assert "tomorrow" in rows[0].subject
    assert "Samaritans on 116 123" in rows[0].body_text


def test_reminders_skip_waiting_and_cancelled_bookings():
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2), capacity=2)
    booked = services.booking_create(member=MemberFactory(), session=session)
    cancelled = services.booking_create(member=MemberFactory(), session=session)
    services.booking_cancel(booking=cancelled)
    also_booked = services.booking_create(member=MemberFactory(), session=session)
    waiting = services.booking_create(member=MemberFactory(), session=session)
    _scan(start - timedelta(days=7) + timedelta(minutes=1))
    recipients = {r.to_email for r in _rows("training-reminder")}
    assert recipients == {booked.member.user.email, also_booked.member.user.email}
    assert waiting.member.user.email not in recipients


def test_booking_made_inside_the_last_week_gets_no_seven_day_reminder_but_gets_the_one_day_one():
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    services.booking_create(member=MemberFactory(), session=session)
    assert _scan(timezone.now()) == 0
    assert _scan(start - timedelta(days=1)) == 1
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in _rows("training-reminder")] == ["1d"]


def test_reminder_follows_london_wall_clock_across_the_clock_change():
    # 18:00 BST on Friday 2 April 2027; seven days earlier is 18:00 GMT on 26 March.
    start = datetime(2027, 4, 2, 18, 0, tzinfo=LONDON)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    BookingFactory(session=session, created_at=datetime(2027, 3, 1, tzinfo=LONDON))
    due = datetime(2027, 3, 26, 18, 0, tzinfo=LONDON)
    assert start.astimezone(ZoneInfo("UTC")) - due.astimezone(ZoneInfo("UTC")) == timedelta(days=7, hours=-1)
    assert _scan(due - timedelta(minutes=1)) == 0
    assert _scan(due) == 1


def test_feedback_survey_goes_two_hours_after_the_end_to_attendees_only_with_a_working_link():
    end = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    session = SessionFactory(starts_at=end - timedelta(hours=2), ends_at=end)
    attended = BookingFactory(session=session, attended=Booking.Attended.YES)
    BookingFactory(session=session, attended=Booking.Attended.NO)
    BookingFactory(session=session)  # attendance not marked yet
    assert _scan(end + timedelta(hours=1, minutes=59)) == 0
    assert _scan(end + timedelta(hours=2)) == 1
    (row,) = _rows("training-feedback")
    assert row.to_email == attended.member.user.email
    link = re.search(r"http://testserver(/training/feedback/\S+/)", row.body_text).group(1)
    response = Client().get(link)
    assert response.status_code == 200
    assert "Overall, how would you rate the training?" in response.content.decode()


def test_survey_follows_when_attendance_is_marked_a_few_days_late():
    end = timezone.now().replace(microsecond=0) - timedelta(days=3)
    session = SessionFactory(starts_at=end - timedelta(hours=2), ends_at=end)
    booking = BookingFactory(session=session)
    assert _scan(timezone.now()) == 0
    services.booking_mark_attendance(booking_ids=[booking.pk], attended=Booking.Attended.YES)
    assert _scan(timezone.now()) == 1
    assert _scan(timezone.now()) == 0


def test_follow_ups_go_three_and_six_months_after_attendance():
    end = datetime(2026, 1, 15, 18, 0, tzinfo=LONDON)
    session = SessionFactory(starts_at=end - timedelta(hours=2), ends_at=end)
    attended = BookingFactory(session=session, attended=Booking.Attended.YES)
    BookingFactory(session=session, attended=Booking.Attended.NO)
    # Follow-ups only: the feedback survey, never sent here, is still within its 90 days on 15 April.
    assert _scan(datetime(2026, 4, 15, 17, 59, tzinfo=LONDON), prefix="training-followup") == 0
    assert _scan(datetime(2026, 4, 15, 18, 0, tzinfo=LONDON), prefix="training-followup") == 1
    assert _scan(datetime(2026, 7, 15, 18, 0, tzinfo=LONDON), prefix="training-followup") == 1
    rows = _rows("training-followup")
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in rows] == ["3m", "6m"]
    assert {r.to_email for r in rows} == {attended.member.user.email}
    link = re.search(r"http://testserver(/training/follow-up/6m/\S+/)", rows[1].body_text).group(1)
    assert "Since the training: 6 months on" in Client().get(link).content.decode()


def test_answered_follow_up_is_not_sent_again():
    end = datetime(2026, 1, 15, 18, 0, tzinfo=LONDON)
    session = SessionFactory(starts_at=end - timedelta(hours=2), ends_at=end)
    booking = BookingFactory(session=session, attended=Booking.Attended.YES)
    FollowUp.objects.create(
        booking=booking,
        wave="3m",
        raised_in_meeting=False,
        influenced_policy=False,
        became_champion=False,
        changed_own_wellbeing=False,
        would_recommend="yes",
    )
    assert _scan(datetime(2026, 4, 16, 9, 0, tzinfo=LONDON)) == 0


def test_closed_sessions_still_get_reminders_and_cancelled_ones_do_not():
    from training.models import Session

    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    closed = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    cancelled = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    kept = services.booking_create(member=MemberFactory(), session=closed)
    services.booking_create(member=MemberFactory(), session=cancelled)
    Session.objects.filter(pk=closed.pk).update(status=Session.Status.CLOSED)
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    _scan(start - timedelta(days=7) + timedelta(minutes=1))
    assert [r.to_email for r in _rows("training-reminder")] == [kept.member.user.email]
