import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from meetings.models import Registration
from network_portal.ics import LONDON
from network_portal.models import OutboxEmail
from network_portal.schedules import registered, scheduled_email_scan
from tests.concurrency import run_at_once

from .factories import MeetingFactory, RegistrationFactory


def _scan(now=None, prefix="meeting-") -> int:
    mine = [s for s in registered() if s.name.startswith(prefix)]
    return scheduled_email_scan(now=now, schedules=mine)


def _meeting_at(local: datetime, **kwargs):
    starts = local.replace(tzinfo=LONDON)
    return MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


@pytest.mark.django_db
def test_meeting_schedules_are_registered():
    names = {s.name for s in registered()}
    assert {"meeting-reminder-7d", "meeting-reminder-1d", "meeting-feedback-survey"} <= names


@pytest.mark.django_db
def test_reminder_scan_run_three_times_writes_one_row_and_one_email_per_registration(
    mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=UTC), tick=False):
        meeting = _meeting_at(datetime(2026, 5, 14, 18))
        online = RegistrationFactory(meeting=meeting, mode="online")
        in_person = RegistrationFactory(meeting=meeting, mode="in_person")
        RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)
        RegistrationFactory(meeting=meeting, status=Registration.Status.CANCELLED)

    seven_days_before = datetime(2026, 5, 7, 17, 1, tzinfo=UTC)  # 18:01 BST
    with time_machine.travel(seven_days_before, tick=False), django_capture_on_commit_callbacks(execute=True):
        created = [_scan(), _scan(), _scan()]

    assert created == [2, 0, 0]
    keys = set(OutboxEmail.objects.filter(kind="reminder").values_list("dedupe_key", flat=True))
    assert keys == {
        f"reminder:meeting:{meeting.pk}:member:{online.user_id}:7d",
        f"reminder:meeting:{meeting.pk}:member:{in_person.user_id}:7d",
    }
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_recipient) == sorted([online.user.email, in_person.user.email])
    online_email = by_recipient[online.user.email]
    assert online_email.subject == f"In 7 days: {meeting.title}"
    assert meeting.joining_url in online_email.body
    assert "Passcode 4815" in online_email.body
    assert "Venue: City Hall" in by_recipient[in_person.user.email].body


@pytest.mark.django_db(transaction=True)
def test_reminder_scan_run_twice_concurrently_writes_one_row_and_one_email(mailoutbox):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting)
    due = meeting.starts_at - timedelta(days=1) + timedelta(minutes=1)
    results, errors = run_at_once([lambda: _scan(now=due, prefix="meeting-reminder-1d")] * 2)

    assert errors == []
    rows = OutboxEmail.objects.filter(kind="reminder")
    assert [r.dedupe_key for r in rows] == [f"reminder:meeting:{meeting.pk}:member:{registration.user_id}:1d"]
    assert sorted(results) == [0, 1]
    assert len([m for m in mail.outbox if m.to == [registration.user.email]]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("meeting_local", "label", "due_utc", "naive_utc"),
    [
        # Clocks go forward on Sunday 29 March 2026: the meeting is in BST, the 7-day reminder in GMT.
        (datetime(2026, 4, 2, 18), "7d", datetime(2026, 3, 26, 18, tzinfo=UTC), datetime(2026, 3, 26, 17, tzinfo=UTC)),
        (datetime(2026, 3, 30, 18), "1d", datetime(2026, 3, 29, 17, tzinfo=UTC), datetime(2026, 3, 29, 16, tzinfo=UTC)),
        # Clocks go back on Sunday 25 October 2026: the meeting is in GMT, the 7-day reminder in BST.
        (datetime(2026, 10, 29, 18), "7d", datetime(2026, 10, 22, 17, tzinfo=UTC), None),
        (datetime(2026, 10, 26, 18), "1d", datetime(2026, 10, 25, 18, tzinfo=UTC), None),
    ],
)
def test_reminder_goes_out_at_london_wall_clock_time_across_clock_changes(
    meeting_local, label, due_utc, naive_utc, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(due_utc - timedelta(days=10), tick=False):
        meeting = _meeting_at(meeting_local)
        registration = RegistrationFactory(meeting=meeting)
    key = f"reminder:meeting:{meeting.pk}:member:{registration.user_id}:{label}"
    # Where "7 days" in absolute time would land an hour early, nothing may be sent yet.
    schedule = f"meeting-reminder-{label}"
    for early in filter(None, [naive_utc, due_utc - timedelta(minutes=1)]):
        with time_machine.travel(early, tick=False):
            _scan(prefix=schedule)
            assert not OutboxEmail.objects.filter(dedupe_key=key).exists()

    with time_machine.travel(due_utc, tick=False), django_capture_on_commit_callbacks(execute=True):
        _scan(prefix=schedule)
    with time_machine.travel(due_utc + timedelta(hours=1), tick=False):
        _scan(prefix=schedule)

    row = OutboxEmail.objects.get(dedupe_key=key)
    assert row.created_at == due_utc
    assert timezone_local_hour(row.created_at) == 18
    assert row.status == OutboxEmail.Status.SENT
    assert len(mailoutbox) == 1


def timezone_local_hour(moment) -> int:
    return moment.astimezone(LONDON).hour


@pytest.mark.django_db
def test_reminder_whose_moment_passed_while_the_scan_was_down_is_recorded_as_skipped(mailoutbox):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)

    _scan(now=meeting.starts_at + timedelta(minutes=30))

    rows = OutboxEmail.objects.filter(kind="reminder")
    assert {r.dedupe_key.rsplit(":", 1)[1] for r in rows} == {"7d", "1d"}
    assert {r.status for r in rows} == {OutboxEmail.Status.SKIPPED}
    assert mailoutbox == []


@pytest.mark.django_db
def test_late_seven_day_reminder_still_goes_before_the_meeting(mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)

    with django_capture_on_commit_callbacks(execute=True):
        _scan(now=meeting.starts_at - timedelta(days=3))

    assert OutboxEmail.objects.get(kind="reminder").dedupe_key.endswith(":7d")
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_survey_goes_two_hours_after_the_end_to_those_marked_attended(
    mailoutbox, django_capture_on_commit_callbacks, client
):
    meeting = MeetingFactory()
    attended = RegistrationFactory(meeting=meeting, attendance=Registration.Attendance.ATTENDED)
    RegistrationFactory(meeting=meeting, attendance=Registration.Attendance.ABSENT)
    RegistrationFactory(meeting=meeting)

    survey = "meeting-feedback-survey"
    assert _scan(now=meeting.ends_at + timedelta(hours=2) - timedelta(minutes=1), prefix=survey) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert _scan(now=meeting.ends_at + timedelta(hours=2), prefix=survey) == 1
        assert _scan(now=meeting.ends_at + timedelta(hours=3), prefix=survey) == 0

    row = OutboxEmail.objects.get(kind="survey")
    assert row.dedupe_key == f"survey:meeting:{meeting.pk}:member:{attended.user_id}:feedback"
    [email] = mailoutbox
    assert email.to == [attended.user.email]
    link = re.search(r"http://testserver(/meetings/feedback/\S+/)", email.body).group(1)
    assert client.get(link).status_code == 200


@pytest.mark.django_db
def test_survey_goes_to_everyone_registered_when_attendance_was_not_taken(mailoutbox):
    meeting = MeetingFactory()
    registered_ = [RegistrationFactory(meeting=meeting) for _ in range(3)]
    RegistrationFactory(meeting=meeting, status=Registration.Status.CANCELLED)
    RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)

    _scan(now=meeting.ends_at + timedelta(hours=2, minutes=5))

    recipients = set(OutboxEmail.objects.filter(kind="survey").values_list("user_id", flat=True))
    assert recipients == {r.user_id for r in registered_}


@pytest.mark.django_db
def test_cancelled_meetings_get_no_reminders():
    meeting = MeetingFactory(status="cancelled")
    RegistrationFactory(meeting=meeting)

    assert _scan(now=meeting.starts_at - timedelta(days=1)) == 0
