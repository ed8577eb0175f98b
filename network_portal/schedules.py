"""Scheduled email: each app declares when to write outbox rows, relative to
a datetime on its own model ("7 days before Meeting.starts_at, for each active
registration"). One periodic scan, in UTC, creates the rows that are due.

Nothing is put on the broker with a far-future ETA: the database holds the
schedule, and the dedupe key on each outbox row makes the scan idempotent.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who gets one scheduled email, and the object whose id goes in the key."""

    user: object
    subject_id: int  # e.g. the member id, so the key reads "...:member:40:7d"
    context: dict


@dataclass(frozen=True)
class Schedule:
    name: str  # unique, e.g. "meeting-reminder-7d"
    kind: str  # outbox kind and first part of the dedupe key, e.g. "reminder"
    label: str  # last part of the dedupe key, e.g. "7d"
    anchor: str  # the model's datetime field, e.g. "starts_at"
    offset: timedelta  # negative means before the anchor
    events: Callable[[], QuerySet]  # candidate events (published, not cancelled)
    recipients: Callable[[object], Iterable[Recipient]]
    send: Callable[..., object]  # send(event=, recipient=, dedupe_key=, skip_reason=) -> calls notify()
    # After this moment the email is pointless; a late row is recorded as skipped.
    expires: Callable[[object], datetime]
    lookback: timedelta = timedelta(days=14)

    def due_at(self, event) -> datetime:
        return getattr(event, self.anchor) + self.offset

    def dedupe_key(self, event, recipient: Recipient) -> str:
        model = event._meta.model_name
        return f"{self.kind}:{model}:{event.pk}:member:{recipient.subject_id}:{self.label}"


_registry: dict[str, Schedule] = {}


def register(schedule: Schedule) -> Schedule:
    _registry[schedule.name] = schedule
    return schedule


def registered() -> list[Schedule]:
    return list(_registry.values())


def scheduled_email_scan(*, now: datetime | None = None, schedules: Iterable[Schedule] | None = None) -> int:
    """Create every due outbox row that does not exist yet. Returns rows created."""
    now = now or timezone.now()
    created = 0
    for schedule in schedules if schedules is not None else registered():
        created += _scan_one(schedule, now)
    return created


def _scan_one(schedule: Schedule, now: datetime) -> int:
    # due_at = anchor + offset <= now  <=>  anchor <= now - offset
    window = {
        f"{schedule.anchor}__lte": now - schedule.offset,
        f"{schedule.anchor}__gt": now - schedule.offset - schedule.lookback,
    }
    created = 0
    for event in schedule.events().filter(**window):
        created += _scan_event(schedule, event, now)
    return created


def _scan_event(schedule: Schedule, event, now: datetime) -> int:
    prefix = f"{schedule.kind}:{event._meta.model_name}:{event.pk}:member:"
    existing = set(OutboxEmail.objects.filter(dedupe_key__startswith=prefix).values_list("dedupe_key", flat=True))
    skip_reason = ""
    if now >= schedule.expires(event):
        skip_reason = (
            f"{schedule.name} was due at {schedule.due_at(event):%Y-%m-%d %H:%M} UTC but its moment has passed"
        )
    created = 0
    for recipient in schedule.recipients(event):
        key = schedule.dedupe_key(event, recipient)
        if key in existing:
            continue
        with transaction.atomic():
            row = schedule.send(event=event, recipient=recipient, dedupe_key=key, skip_reason=skip_reason)
        created += row is not None
    return created
