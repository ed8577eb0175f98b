"""The email outbox: every email the portal sends is a row here first.

Apps use only what this module exports:
- notify(...) renders an email template and queues it in the caller's
  transaction; queue_email(...) queues one already rendered;
- already_queued(...) tells which dedupe keys exist, so a rescan skips them;
- outbox_skip_pending(...) stops every email still waiting for a person whose
  membership ended;
- Attachment describes a file to attach; OutboxEmail.Lane names the two lanes
  (ACCOUNT, the default, for email a person is waiting for; BULK for digests,
  reminders, surveys and other mail sent to many at once).

The model lives in .models, the sending rules in .services and the Celery
tasks in .tasks."""

from .models import OutboxEmail
from .services import Attachment, already_queued, notify, outbox_skip_pending, queue_email

__all__ = ["Attachment", "OutboxEmail", "already_queued", "notify", "outbox_skip_pending", "queue_email"]
