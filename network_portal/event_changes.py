"""One path for telling people that an event changed or was cancelled.

Training sessions and network meetings both call it, each with its own
recipients and email templates, so neither app copies the other:

    refusal = change_refusal(title=..., cancelled=..., ended=..., cancelling=...)
    changed = changed_fields(before, after, ("starts_at", "venue", ...))
    notices_send(event=..., people=[Attendee(...)], template=..., kind=..., cancelled=...)
    change_announce(...)  # skips the old reminders, then notices_send

Every confirmed and waiting-list person gets one email per change (the key
carries the event's new SEQUENCE), with an updated calendar file: SEQUENCE
bumped, and on cancellation METHOD:CANCEL with STATUS:CANCELLED, so calendar
apps replace or remove their copy. Reminders written for the old time and not
yet sent are recorded as skipped, so nothing goes out for a time that no
longer holds; the scan writes reminders for the new time under new keys.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models

from . import ics
from .outbox import Attachment, notify, outbox_skip_pending


class ChangeRefused(Exception):
    """A change the rules refuse; the message is for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Attendee:
    """One person to tell, and what their email and calendar file should say."""

    user: object
    key: str  # e.g. "booking:12", unique for this person on this event
    context: dict = field(default_factory=dict)
    calendar_event: ics.CalendarEvent | None = None


def changed_fields(before: models.Model, after: models.Model, fields: Iterable[str]) -> list[str]:
    """The names of the fields whose values differ."""
    return [name for name in fields if getattr(before, name) != getattr(after, name)]


def field_labels(model: type[models.Model], names: Iterable[str]) -> list[str]:
    return [str(model._meta.get_field(name).verbose_name) for name in names]


def change_refusal(*, title: str, cancelled: bool, ended: bool, cancelling: bool) -> None:
    """Raise ChangeRefused when a change or cancellation cannot go ahead."""
    if cancelled:
        raise ChangeRefused(f"{title} is already cancelled, so nobody has been emailed.")
    if ended:
        what = "cancelled" if cancelling else "changed"
        raise ChangeRefused(f"{title} has already taken place, so it cannot be {what}. Nobody has been emailed.")


def notices_send(
    *,
    event: models.Model,
    sequence: int,
    people: Iterable[Attendee],
    template: str,
    kind: str,
    cancelled: bool,
    context: dict,
    filename: str,
) -> int:
    """Queue one email per person, in the caller's transaction. Returns emails queued."""
    method = "CANCEL" if cancelled else "PUBLISH"
    sent = 0
    for person in people:
        attachments = ()
        if person.calendar_event is not None:
            content = ics.calendar_for([person.calendar_event], method=method)
            attachments = (Attachment(filename=filename, content=content, mimetype="text/calendar"),)
        row = notify(
            template=template,
            to_email=person.user.email,
            kind=kind,
            dedupe_key=f"{kind}:{event._meta.model_name}:{event.pk}:{person.key}:seq{sequence}",
            user=person.user,
            attachments=attachments,
            context={**context, **person.context},
        )
        sent += row is not None
    return sent


def pending_reminders_skip(*, key_prefixes: Iterable[str], reason: str) -> int:
    """Record the not-yet-sent rows under these dedupe-key prefixes (e.g.
    "reminder:meeting:12:") as skipped. Returns how many."""
    return outbox_skip_pending(key_prefixes=key_prefixes, reason=reason)


def change_announce(
    *,
    event: models.Model,
    people: Iterable[Attendee],
    kind_prefix: str,
    cancelled: bool,
    reminder_key_prefix: str,
    context: dict,
    filename: str,
) -> int:
    """Skip the event's reminders still waiting for the old time, then email
    everyone the change ("<kind_prefix>-changed") or the cancellation
    ("<kind_prefix>-cancelled"): the kind names the template too."""
    pending_reminders_skip(
        key_prefixes=[reminder_key_prefix],
        reason=f"{event._meta.model_name} {event.pk} changed (calendar sequence {event.sequence})",
    )
    kind = f"{kind_prefix}-cancelled" if cancelled else f"{kind_prefix}-changed"
    return notices_send(
        event=event,
        sequence=event.sequence,
        people=people,
        template=kind,
        kind=kind,
        cancelled=cancelled,
        filename=filename,
        context=context,
    )
