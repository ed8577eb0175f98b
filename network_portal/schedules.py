"""Scheduled email: each app declares when to write outbox rows, relative to
a datetime on its own model ("7 days before Meeting.starts_at, for each active
registration"). One periodic scan, in UTC, creates the rows that are due.

Nothing is put on the broker with a far-future ETA: the database holds the
schedule, and the dedupe key on each outbox row makes the scan idempotent, even
when two scans run at once.

Offsets follow how people read them:
- whole days and months ("7 days before", "3 months after") are calendar
  arithmetic on the Europe/London wall clock (TIME_ZONE), so a reminder for an
  18:00 meeting goes at 18:00 local time even across a clock change;
- the part smaller than a day ("2 hours after the end") is absolute time.
"""

import calendar
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .outbox import already_queued
from .registry import Registry

logger = logging.getLogger(__name__)

# How far the real due time can stray from the naive "anchor + offset" that the
# database filter uses: a clock change (1 hour) plus months of 28 to 31 days.
_DST_SLACK = timedelta(hours=2)
_DAYS_PER_MONTH = 30
_MONTH_SLACK_DAYS = 2


@dataclass(frozen=True)
class Recipient:
    """Who gets one scheduled email, and the object whose id goes in the key."""

    user: object
    subject_id: int  # e.g. the member id, so the key reads "...:member:40:7d"
    context: dict


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """One kind of scheduled email.

    events() returns the candidate events (published, not cancelled); the scan
    narrows it to those whose due time falls in the last `lookback`. For each,
    recipients(event) lists who should get it now, and send(event=, recipient=,
    dedupe_key=, skip_reason=) calls notify() with those arguments (passing
    skip_reason on) and returns notify's result.
    """

    name: str  # unique, e.g. "meeting-reminder-7d"
    kind: str  # outbox kind and first part of the dedupe key, e.g. "reminder"
    label: str  # last part of the dedupe key, e.g. "7d"
    anchor: str  # the model's datetime field, e.g. "starts_at"
    offset: timedelta = timedelta(0)  # negative means before the anchor
    months: int = 0  # calendar months, negative means before the anchor
    events: Callable[[], QuerySet]
    recipients: Callable[[object], Iterable[Recipient]]
    send: Callable[..., object]
    # After this moment the email is pointless, and a row created late is
    # recorded as skipped. By default: when the anchor passes, for an email
    # due before it (a reminder); never, for one due after it (a survey).
    expires: Callable[[object], datetime] | None = None
    # How far back a due time may lie and still be written. A callable is read
    # at each scan, so it can follow a setting.
    lookback: timedelta | Callable[[], timedelta] = timedelta(days=14)
    # For a reminder: the offset of the nearer reminder that replaces it. Once
    # that one is due, this one is recorded as skipped instead of sent, so a
    # scan that was down never sends "in 7 days" beside "tomorrow".
    superseded_by: timedelta | None = None
    # The event's datetime field set when its time changed: a reminder whose
    # (new) due time fell before the change is not written, since the change
    # notice has just told the person. Works with the event's `sequence`, which
    # goes into the key so the new time's reminder is a new row.
    rescheduled_field: str = ""
    # Pass the scan's clock to send(now=...), so the wording can come from the
    # real time left.
    passes_now: bool = False

    def window(self) -> timedelta:
        return self.lookback() if callable(self.lookback) else self.lookback

    def due_at(self, event) -> datetime:
        return shift(getattr(event, self.anchor), months=self.months, offset=self.offset)

    def expires_at(self, event) -> datetime | None:
        if self.expires is not None:
            return self.expires(event)
        if self.months < 0 or (self.months == 0 and self.offset < timedelta(0)):
            return getattr(event, self.anchor)
        return None

    def dedupe_key(self, event, recipient: Recipient) -> str:
        key = f"{self.key_prefix(event)}{recipient.subject_id}:{self.label}"
        # After a change of time the reminder is a new email; before any change
        # the key stays as it always was.
        rescheduled = self.rescheduled_field and getattr(event, self.rescheduled_field, None)
        return f"{key}:seq{event.sequence}" if rescheduled else key

    def superseded(self, event, now: datetime) -> bool:
        if self.superseded_by is None:
            return False
        return shift(getattr(event, self.anchor), offset=self.superseded_by) <= now

    def due_before_reschedule(self, event) -> bool:
        changed_at = getattr(event, self.rescheduled_field, None) if self.rescheduled_field else None
        return changed_at is not None and self.due_at(event) < changed_at

    def key_prefix(self, event) -> str:
        return f"{self.kind}:{event._meta.model_name}:{event.pk}:member:"


@dataclass(frozen=True, kw_only=True)
class MonthlySchedule:
    """An email about the London calendar month just ended (the digest).

    It falls due on the first of each month at `at`, local time, and the scan
    calls send(now=) at each run for `lookback` after that, so a missed run is
    caught up. send must be idempotent (dedupe keys) and returns the rows it
    created."""

    name: str
    send: Callable[..., int]
    at: time = time(8, 30)
    lookback: timedelta = timedelta(days=3)

    def due_at(self, now: datetime) -> datetime:
        first = timezone.localtime(now).date().replace(day=1)
        return timezone.make_aware(datetime.combine(first, self.at))

    def scan(self, now: datetime) -> int:
        due = self.due_at(now)
        return self.send(now=now) if due <= now < due + self.lookback else 0


def shift(moment: datetime, *, months: int = 0, offset: timedelta = timedelta(0)) -> datetime:
    """moment moved by months and offset, with days and months counted on the
    local wall clock and anything smaller than a day in absolute time. In UTC."""
    sign = -1 if offset < timedelta(0) else 1
    whole_days = timedelta(days=abs(offset).days)
    remainder = abs(offset) - whole_days
    local = moment.astimezone(timezone.get_default_timezone())
    # Adding to an aware datetime keeps the wall-clock time and re-derives the
    # UTC offset for the new date: exactly the calendar arithmetic wanted.
    local = _add_months(local, months) + sign * whole_days
    return local.astimezone(UTC) + sign * remainder


def _add_months(moment: datetime, months: int) -> datetime:
    if not months:
        return moment
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    # 31 January plus one month is the last day of February.
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def time_left_phrase(start: datetime, now: datetime) -> str:
    """How far off `start` is, in the words a reminder uses, counted in London
    calendar days: "today", "tomorrow", "in 3 days"."""
    days = (timezone.localtime(start).date() - timezone.localtime(now).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


# Each app registers its schedules in its `<app>/schedules.py`.
scheduled_emails: Registry[Schedule | MonthlySchedule] = Registry(
    "Scheduled emails", key=lambda schedule: schedule.name
)


def register(schedule: Schedule | MonthlySchedule) -> Schedule | MonthlySchedule:
    return scheduled_emails.register(schedule)


def register_reminders(
    *,
    name: str,
    kind: str,
    days: tuple[int, ...],
    events: Callable[[], QuerySet],
    recipients_for: Callable[[int], Callable[[object], Iterable[Recipient]]],
    send_for: Callable[[int], Callable[..., object]],
) -> None:
    """Reminders `days` days before each event starts ("<name>-7d"...). Each is
    skipped once the nearer one is due, follows the event when it is moved, and
    is worded from the real time left (send gets now=)."""
    nearer = sorted(days)
    for count in days:
        later = [d for d in nearer if d < count]
        register(
            Schedule(
                name=f"{name}-{count}d",
                kind=kind,
                label=f"{count}d",
                anchor="starts_at",
                offset=-timedelta(days=count),
                events=events,
                recipients=recipients_for(count),
                send=send_for(count),
                superseded_by=-timedelta(days=later[-1]) if later else None,
                rescheduled_field="rescheduled_at",
                passes_now=True,
            )
        )


def registered() -> list[Schedule | MonthlySchedule]:
    return list(scheduled_emails)


def scheduled_email_scan(
    *, now: datetime | None = None, schedules: Iterable[Schedule | MonthlySchedule] | None = None
) -> int:
    """Create every due outbox row that does not exist yet. Returns rows created."""
    now = now or timezone.now()
    created = 0
    for schedule in schedules if schedules is not None else registered():
        try:
            created += _scan_one(schedule, now)
        except Exception:  # noqa: BLE001 - one broken schedule must not stop the others
            logger.exception("Scheduled email %s could not be scanned", schedule.name)
    return created


def _scan_one(schedule: Schedule | MonthlySchedule, now: datetime) -> int:
    if isinstance(schedule, MonthlySchedule):
        return schedule.scan(now)
    # Find events whose due time is in (now - lookback, now]. The database can
    # only compare the anchor with a fixed offset, so widen its window by the
    # most the calendar arithmetic can differ, then check each event exactly.
    nominal = schedule.offset + timedelta(days=_DAYS_PER_MONTH * schedule.months)
    slack = _DST_SLACK + timedelta(days=_MONTH_SLACK_DAYS * abs(schedule.months))
    lookback = schedule.window()
    window = {
        f"{schedule.anchor}__lte": now - nominal + slack,
        f"{schedule.anchor}__gt": now - nominal - lookback - slack,
    }
    created = 0
    # The filter reads the event's current anchor, so a moved event is
    # considered only at its new time.
    for event in schedule.events().filter(**window).order_by(schedule.anchor, "pk"):
        if now - lookback < schedule.due_at(event) <= now and not schedule.due_before_reschedule(event):
            created += _scan_event_safely(schedule, event, now)
    return created


def _scan_event_safely(schedule: Schedule, event, now: datetime) -> int:
    try:
        return _scan_event(schedule, event, now)
    except Exception:  # noqa: BLE001 - one broken event must not stop the other schedules
        logger.exception("Scheduled email %s failed for %s %s", schedule.name, event._meta.label, event.pk)
        return 0


def _scan_event(schedule: Schedule, event, now: datetime) -> int:
    # One query for this event's existing rows keeps a rescan cheap: recipients
    # already handled cost nothing more.
    existing = already_queued(prefix=schedule.key_prefix(event))
    skip_reason = _skip_reason(schedule, event, now)
    created = 0
    for recipient in schedule.recipients(event):
        key = schedule.dedupe_key(event, recipient)
        if key in existing:
            continue
        extra = {"now": now} if schedule.passes_now else {}
        with transaction.atomic():
            row = schedule.send(event=event, recipient=recipient, dedupe_key=key, skip_reason=skip_reason, **extra)
        created += row is not None
    return created


def _skip_reason(schedule: Schedule, event, now: datetime) -> str:
    if schedule.superseded(event, now):
        return (
            f"{schedule.name} for {event._meta.verbose_name} {event.pk} was superseded: by the time the scan ran "
            f"({timezone.localtime(now):%Y-%m-%d %H:%M %Z}) the nearer reminder was due, so its wording no longer held"
        )
    expires = schedule.expires_at(event)
    if expires is None or now < expires:
        return ""
    local = timezone.localtime(schedule.due_at(event))
    return (
        f"{schedule.name} for {event._meta.verbose_name} {event.pk} was due at {local:%Y-%m-%d %H:%M %Z}, "
        f"but the scan did not run until {timezone.localtime(now):%Y-%m-%d %H:%M %Z}, after the moment it was for"
    )
