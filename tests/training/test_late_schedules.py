"""Scheduled email that is right when late: reminders follow a change of time
(across a clock change), the survey follows attendance marked late, and a scan
that was down for days sends only what is still true."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from network_portal.models import OutboxEmail
from network_portal.schedules import registered, scheduled_email_scan
from tests.factories import MemberFactory
from tests.meetings.factories import MeetingFactory
from training import services
from training.models import Booking, Session

from .factories import SessionFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _scan(now, prefix):
    return scheduled_email_scan(now=now, schedules=[s for s in registered() if s.name.startswith(prefix)])


def _reminders(**filters):
    return OutboxEmail.objects.filter(kind="training-reminder", **filters)


def test_after_a_move_across_the_clock_change_only_the_new_times_reminders_go_once():
    # Clocks go forward on Sunday 28 March 2027. The session first falls on
    # Tuesday 30 March at 10:00 BST and is moved to Tuesday 6 April, 10:00 BST.
    with time_machine.travel(datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False):
        first = datetime(2027, 3, 30, 10, tzinfo=LONDON)
        session = SessionFactory(starts_at=first, ends_at=first + timedelta(hours=2))
        booking = services.booking_create(member=MemberFactory(), session=session)
    key = f"training-reminder:session:{session.pk}:member:{booking.member_id}"

    # The 7-day reminder for the old time: 23 March 10:00 GMT (10:00 UTC).
    assert _scan(datetime(2027, 3, 23, 10, 1, tzinfo=UTC), "training-reminder") == 1
    assert set(_reminders().values_list("dedupe_key", flat=True)) == {f"{key}:7d"}

    with time_machine.travel(datetime(2027, 3, 24, 9, tzinfo=UTC), tick=False):
        session = Session.objects.get(pk=session.pk)
        session.starts_at = datetime(2027, 4, 6, 10, tzinfo=LONDON)
        session.ends_at = session.starts_at + timedelta(hours=2)
        services.session_save(session=session)

    # The old time's 1-day reminder (29 March 10:00 BST) never goes, however often the scan runs.
    for minute in range(0, 120, 10):
        _scan(datetime(2027, 3, 29, 8, 0, tzinfo=UTC) + timedelta(minutes=minute), "training-reminder")
    assert _reminders().count() == 1

    # The new 7-day reminder is due on 30 March at 10:00 BST, which is 09:00 UTC.
    assert _scan(datetime(2027, 3, 30, 8, 59, tzinfo=UTC), "training-reminder") == 0
    assert _scan(datetime(2027, 3, 30, 9, 0, tzinfo=UTC), "training-reminder") == 1
    assert _scan(datetime(2027, 3, 30, 9, 30, tzinfo=UTC), "training-reminder") == 0
    # And the new 1-day reminder on 5 April, 09:00 UTC, once.
    assert _scan(datetime(2027, 4, 5, 9, 0, tzinfo=UTC), "training-reminder") == 1
    assert _scan(datetime(2027, 4, 5, 9, 5, tzinfo=UTC), "training-reminder") == 0
    assert set(_reminders().values_list("dedupe_key", flat=True)) == {
        f"{key}:7d",
        f"{key}:7d:seq1",
        f"{key}:1d:seq1",
    }
    assert "Tuesday 6 April" in _reminders().get(dedupe_key=f"{key}:7d:seq1").body_text


def test_a_reminder_waiting_to_go_for_the_old_time_is_stopped_by_the_change():
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    booking = services.booking_create(member=MemberFactory(), session=session)
    _scan(start - timedelta(days=7) + timedelta(minutes=1), "training-reminder")
    row = _reminders().get()
    assert row.status == OutboxEmail.Status.PENDING
    session = Session.objects.get(pk=session.pk)
    session.venue = "Room 2, Civic Centre"
    services.session_save(session=session)
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SKIPPED
    assert OutboxEmail.objects.filter(kind="training-session-changed", user=booking.member.user).count() == 1


def test_survey_for_attendance_marked_twenty_days_late_is_sent_once():
    ended = timezone.now().replace(microsecond=0) - timedelta(days=21)
    session = SessionFactory(starts_at=ended - timedelta(hours=2), ends_at=ended)
    booking = Booking.objects.create(
        session=session, member=MemberFactory(), status=Booking.Status.CONFIRMED, created_at=ended - timedelta(days=9)
    )
    # The scan has run all along; nobody is marked yet, so nothing goes.
    assert _scan(ended + timedelta(hours=3), "training-feedback") == 0
    # Twenty days after the session, staff mark attendance.
    services.booking_mark_attendance(booking_ids=[booking.pk], attended=Booking.Attended.YES)
    now = timezone.now()
    assert [_scan(now, "training-feedback"), _scan(now + timedelta(minutes=1), "training-feedback")] == [1, 0]
    row = OutboxEmail.objects.get(kind="training-feedback")
    assert (row.user, row.status) == (booking.member.user, OutboxEmail.Status.PENDING)


def test_survey_is_not_sent_for_a_session_older_than_the_setting(settings):
    settings.TRAINING_SURVEY_MAX_AGE_DAYS = 10
    ended = timezone.now().replace(microsecond=0) - timedelta(days=21)
    session = SessionFactory(starts_at=ended - timedelta(hours=2), ends_at=ended)
    Booking.objects.create(
        session=session,
        member=MemberFactory(),
        status=Booking.Status.CONFIRMED,
        attended=Booking.Attended.YES,
        created_at=ended - timedelta(days=9),
    )
    assert _scan(timezone.now(), "training-feedback") == 0


def _session_starting(at, member):
    session = SessionFactory(starts_at=at, ends_at=at + timedelta(hours=2))
    Booking.objects.create(
        session=session, member=member, status=Booking.Status.CONFIRMED, created_at=at - timedelta(days=30)
    )
    return session


def test_a_scan_down_eight_days_sends_only_the_reminders_still_true():
    now = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)  # Monday, 10:00 BST
    member = MemberFactory()
    in_three_days = _session_starting(datetime(2026, 10, 15, 10, tzinfo=LONDON), member)
    in_twelve_hours = _session_starting(datetime(2026, 10, 12, 22, tzinfo=LONDON), member)
    yesterday = _session_starting(datetime(2026, 10, 11, 10, tzinfo=LONDON), member)
    in_nine_days = _session_starting(datetime(2026, 10, 21, 10, tzinfo=LONDON), member)

    _scan(now, "training-reminder")

    def rows(session):
        return {r.dedupe_key.rsplit(":", 1)[1]: r for r in _reminders(dedupe_key__contains=f":session:{session.pk}:")}

    three = rows(in_three_days)
    assert set(three) == {"7d"}
    assert three["7d"].status == OutboxEmail.Status.PENDING
    assert "in 3 days" in three["7d"].body_text
    assert "in 7 days" not in three["7d"].body_text

    twelve = rows(in_twelve_hours)
    assert twelve["7d"].status == OutboxEmail.Status.SKIPPED
    assert "superseded" in twelve["7d"].last_error
    assert twelve["1d"].status == OutboxEmail.Status.PENDING
    assert "today" in twelve["1d"].body_text

    assert all(r.status == OutboxEmail.Status.SKIPPED for r in rows(yesterday).values())
    assert rows(in_nine_days) == {}
    sent = OutboxEmail.objects.filter(kind="training-reminder", status=OutboxEmail.Status.PENDING)
    assert sent.count() == 2


def test_a_meeting_reminder_scan_down_eight_days_words_the_real_time_left():
    from meetings.models import Registration

    now = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
    meeting = MeetingFactory(
        starts_at=datetime(2026, 10, 15, 18, tzinfo=LONDON), ends_at=datetime(2026, 10, 15, 20, tzinfo=LONDON)
    )
    soon = MeetingFactory(
        starts_at=datetime(2026, 10, 12, 18, tzinfo=LONDON), ends_at=datetime(2026, 10, 12, 20, tzinfo=LONDON)
    )
    for m in (meeting, soon):
        Registration.objects.create(meeting=m, user=MemberFactory().user, mode="online")
    _scan(now, "meeting-reminder")
    later = OutboxEmail.objects.get(kind="reminder", dedupe_key__contains=f":meeting:{meeting.pk}:")
    assert later.subject == f"In 3 days: {meeting.title}"
    skipped, today = (
        OutboxEmail.objects.get(kind="reminder", dedupe_key__contains=f":meeting:{soon.pk}:", dedupe_key__endswith=x)
        for x in (":7d", ":1d")
    )
    assert skipped.status == OutboxEmail.Status.SKIPPED
    assert (today.status, today.subject) == (OutboxEmail.Status.PENDING, f"Today: {soon.title}")
