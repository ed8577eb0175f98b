"""The scheduled-email registry, exercised with schedules declared here over
Member.created_at (a model every install has), so the mechanics are tested
apart from any one app's reminders."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from members.models import Member
from network_portal import schedules
from network_portal.models import OutboxEmail
from network_portal.outbox import notify, services
from network_portal.schedules import Recipient, Schedule, scheduled_email_scan, shift
from network_portal.tasks import scheduled_email_scan as scheduled_email_scan_task
from tests.concurrency import run_at_once
from tests.factories import MemberFactory

from .outbox_support import email_templates, fast_passwords  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("email_templates", "fast_passwords")

LONDON = ZoneInfo("Europe/London")
# A quiet week: no clock change within a month either side.
JUNE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def _send(*, event, recipient, dedupe_key, skip_reason):
    return notify(
        template="test-notice",
        to_email=recipient.user.email,
        kind="test-reminder",
        dedupe_key=dedupe_key,
        user=recipient.user,
        context={"name": recipient.user.first_name, **recipient.context},
        skip_reason=skip_reason,
    )


def _recipients(member):
    return [Recipient(user=member.user, subject_id=member.pk, context={"number": member.pk})]


def reminder(**overrides) -> Schedule:
    """ "7 days before Member.created_at", standing in for a meeting reminder."""
    fields = {
        "name": "test-member-reminder-7d",
        "kind": "test-reminder",
        "label": "7d",
        "anchor": "created_at",
        "offset": timedelta(days=-7),
        "events": lambda: Member.objects.select_related("user"),
        "recipients": _recipients,
        "send": _send,
    }
    return Schedule(**(fields | overrides))


def _keys() -> list[str]:
    return list(OutboxEmail.objects.order_by("pk").values_list("dedupe_key", flat=True))


def _scan_at(moment: datetime, schedule: Schedule | list[Schedule]) -> int:
    with time_machine.travel(moment, tick=False):
        return scheduled_email_scan(schedules=schedule if isinstance(schedule, list) else [schedule])


@pytest.mark.django_db
def test_scan_run_three_times_creates_one_row_and_one_email(mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory(created_at=JUNE + timedelta(days=7) - timedelta(minutes=30))
    schedule = reminder()

    with django_capture_on_commit_callbacks(execute=True):
        created = [_scan_at(JUNE + timedelta(minutes=n), schedule) for n in range(3)]

    assert created == [1, 0, 0]
    assert _keys() == [f"test-reminder:member:{member.pk}:member:{member.pk}:7d"]
    assert [message.to for message in mailoutbox] == [[member.user.email]]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scans_create_one_row_and_one_email_per_recipient(mailoutbox, monkeypatch):
    members = [MemberFactory(created_at=JUNE + timedelta(days=7) - timedelta(minutes=n)) for n in range(1, 21)]
    schedule = reminder()
    # Record the wake-ups instead of running send tasks inside the threads;
    # the sweep below does the worker's part.
    woken = []
    monkeypatch.setattr(services, "enqueue_send", lambda *ids, lane, countdown=None: woken.extend(ids))
    created, errors = run_at_once([lambda: scheduled_email_scan(now=JUNE, schedules=[schedule])] * 2, timeout=60)
    services.outbox_sweep()

    assert errors == []
    assert sum(created) == len(members)
    assert sorted(_keys()) == sorted(f"test-reminder:member:{m.pk}:member:{m.pk}:7d" for m in members)
    assert sorted(woken) == sorted(OutboxEmail.objects.values_list("pk", flat=True))  # each row woken once
    assert sorted(message.to[0] for message in mailoutbox) == sorted(m.user.email for m in members)


@pytest.mark.django_db
def test_reminder_missed_while_the_scan_was_down_is_sent_if_the_event_has_not_started(
    mailoutbox, django_capture_on_commit_callbacks
):
    meeting = JUNE + timedelta(days=2)  # due five days ago
    MemberFactory(created_at=meeting)

    with django_capture_on_commit_callbacks(execute=True):
        assert _scan_at(JUNE, reminder()) == 1

    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_reminder_missed_until_after_the_event_started_is_recorded_as_skipped_with_a_logged_reason(
    mailoutbox, django_capture_on_commit_callbacks, caplog
):
    member = MemberFactory(created_at=JUNE - timedelta(hours=1))

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        assert _scan_at(JUNE, reminder()) == 1
        assert _scan_at(JUNE + timedelta(minutes=1), reminder()) == 0

    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.SKIPPED
    assert f"test-member-reminder-7d for member {member.pk} was due at 2026-06-03 12:00 BST" in row.last_error
    assert row.last_error.removeprefix("Skipped: ") in caplog.text
    assert mailoutbox == []


@pytest.mark.django_db
def test_event_whose_due_time_is_beyond_the_lookback_is_left_alone():
    schedule = reminder()
    MemberFactory(created_at=JUNE + schedule.offset.__neg__() - schedule.lookback - timedelta(minutes=1))

    assert _scan_at(JUNE, schedule) == 0
    assert not OutboxEmail.objects.exists()


@pytest.mark.django_db
def test_event_not_yet_due_gets_nothing():
    MemberFactory(created_at=JUNE + timedelta(days=7, minutes=1))

    assert _scan_at(JUNE, reminder()) == 0


# Last Sundays of March and October 2026: the 29th and the 25th.
@pytest.mark.parametrize(
    ("meeting_london", "offset", "label", "due_utc"),
    [
        # Meeting after the spring change (BST), reminder before it (GMT).
        (datetime(2026, 3, 31, 18, 0), timedelta(days=-7), "7d", datetime(2026, 3, 24, 18, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 18, 0), timedelta(days=-1), "1d", datetime(2026, 3, 29, 17, 0, tzinfo=UTC)),
        # Meeting after the autumn change (GMT), reminder before it (BST).
        (datetime(2026, 10, 27, 18, 0), timedelta(days=-7), "7d", datetime(2026, 10, 20, 17, 0, tzinfo=UTC)),
        (datetime(2026, 10, 26, 18, 0), timedelta(days=-1), "1d", datetime(2026, 10, 25, 18, 0, tzinfo=UTC)),
    ],
)
@pytest.mark.django_db
def test_day_offsets_across_a_clock_change_fall_at_the_same_london_wall_clock_time_once(
    meeting_london, offset, label, due_utc, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = meeting_london.replace(tzinfo=LONDON)
    MemberFactory(created_at=meeting)
    schedule = reminder(offset=offset, label=label)
    assert due_utc.astimezone(LONDON).time() == meeting.time()  # 18:00 London on both sides

    with django_capture_on_commit_callbacks(execute=True):
        assert _scan_at(due_utc - timedelta(seconds=1), schedule) == 0
        assert _scan_at(due_utc, schedule) == 1
        assert _scan_at(due_utc + timedelta(hours=1), schedule) == 0

    assert len(_keys()) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_hour_offsets_are_absolute_time_across_the_autumn_clock_change(django_capture_on_commit_callbacks):
    # Ends 00:30 BST on 25 October; two hours later is 01:30 GMT, not 02:30.
    ends = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    MemberFactory(created_at=ends)
    survey = reminder(name="test-survey", kind="test-survey", label="survey", offset=timedelta(hours=2))
    due = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert due - ends == timedelta(hours=2)

    assert _scan_at(due - timedelta(seconds=1), survey) == 0
    assert _scan_at(due, survey) == 1
    # A survey has no expiry by default: late is still worth sending.
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING


def _london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("anchor", "months", "offset", "expected"),
    [
        # Follow-ups at 3 and 6 months keep the local time across the spring change.
        (_london(2026, 1, 15, 10), 3, timedelta(0), _utc(2026, 4, 15, 9)),
        (_london(2026, 1, 15, 10), 6, timedelta(0), _utc(2026, 7, 15, 9)),
        # The end of a longer month becomes the end of a shorter one.
        (_london(2026, 8, 31, 10), 3, timedelta(0), _utc(2026, 11, 30, 10)),
        (_london(2027, 11, 30, 10), 3, timedelta(0), _utc(2028, 2, 29, 10)),
        # Days on the wall clock, then hours in absolute time.
        (_london(2026, 3, 28, 12), 0, timedelta(days=1, hours=2), _utc(2026, 3, 29, 13)),
        (_london(2026, 3, 30, 12), 0, -timedelta(days=1, hours=2), _utc(2026, 3, 29, 9)),
    ],
)
def test_shift_counts_days_and_months_on_the_london_calendar_and_hours_in_absolute_time(
    anchor, months, offset, expected
):
    assert shift(anchor, months=months, offset=offset) == expected


@pytest.mark.django_db
def test_month_schedule_finds_its_event_at_the_calendar_instant(django_capture_on_commit_callbacks):
    trained = datetime(2026, 1, 15, 10, tzinfo=LONDON)
    MemberFactory(created_at=trained)
    follow_up = reminder(name="test-follow-up-3m", kind="test-follow-up", label="3m", offset=timedelta(0), months=3)
    due = datetime(2026, 4, 15, 9, tzinfo=UTC)

    assert _scan_at(due - timedelta(seconds=1), follow_up) == 0
    assert _scan_at(due, follow_up) == 1


@pytest.mark.django_db
def test_one_failing_event_does_not_stop_the_others(caplog):
    broken, fine = MemberFactory.create_batch(2, created_at=JUNE + timedelta(days=6))

    def send(*, event, **kwargs):
        if event.pk == broken.pk:
            raise RuntimeError("template missing")
        return _send(event=event, **kwargs)

    with caplog.at_level(logging.ERROR):
        assert _scan_at(JUNE, reminder(send=send)) == 1

    assert _keys() == [f"test-reminder:member:{fine.pk}:member:{fine.pk}:7d"]
    assert f"failed for members.Member {broken.pk}" in caplog.text


@pytest.mark.django_db
def test_registered_schedules_run_from_the_beat_task(monkeypatch, mailoutbox, django_capture_on_commit_callbacks):
    monkeypatch.setattr(schedules.scheduled_emails, "entries", {})
    schedules.register(reminder())
    MemberFactory(created_at=JUNE + timedelta(days=6))

    with time_machine.travel(JUNE, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert scheduled_email_scan_task.delay().get() == 1

    assert [schedule.name for schedule in schedules.registered()] == ["test-member-reminder-7d"]
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("events", [3, 30])
@pytest.mark.django_db
def test_rescan_costs_one_query_for_the_events_and_one_per_event(events, django_assert_max_num_queries):
    for n in range(events):
        MemberFactory(created_at=JUNE + timedelta(days=6, minutes=n))
    schedule = reminder()
    assert _scan_at(JUNE, schedule) == events

    with django_assert_max_num_queries(1 + events):
        assert _scan_at(JUNE + timedelta(minutes=1), schedule) == 0


@pytest.mark.django_db
def test_one_broken_schedule_does_not_stop_the_others(caplog):
    MemberFactory(created_at=JUNE + timedelta(days=6))
    broken = reminder(name="test-broken", anchor="no_such_field")

    with caplog.at_level(logging.ERROR):
        assert _scan_at(JUNE, [broken, reminder()]) == 1

    assert "Scheduled email test-broken could not be scanned" in caplog.text
