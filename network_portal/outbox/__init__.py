"""The email outbox: every email the portal sends is a row here first.

Apps use only what this module exports:
- notify(...) renders an email template and queues it in the caller's
  transaction; queue_email(...) queues one already rendered;
- already_queued(...) tells which dedupe keys exist, so a rescan skips them;
- outbox_skip_pending(...) stops every email still waiting for a person whose
  membership ended, or under an event's reminder keys when the event changed;
- emails_about(...) finds the rows to, from or about a person, for their
  data export and erasure;
- Attachment describes a file to attach; OutboxEmail.Lane names the two lanes
  (ACCOUNT, the default, for email a person is waiting for; BULK for digests,
  reminders, surveys and other mail sent to many at once).

The model lives in .models, the sending rules in .services and the Celery
tasks in .tasks."""

from .models import OutboxEmail
from .services import Attachment, already_queued, emails_about, notify, outbox_skip_pending, queue_email

__all__ = [
    "Attachment",
    "OutboxEmail",
    "already_queued",
    "emails_about",
    "notify",
    "outbox_skip_pending",
    "queue_email",
]
