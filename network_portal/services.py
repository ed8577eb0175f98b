"""The email outbox: every email the portal sends is a row here first.

A service calls notify() inside its own transaction. The row is committed with
the business change, then a task is enqueued on commit. The task (or the
minute-by-minute sweep, if the broker was down) claims the row with a
conditional UPDATE, so each row is handed to SMTP by exactly one worker.
"""

import base64
import contextlib
import logging
import random
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import OutboxEmail

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=10)
RETRY_BASE_SECONDS = 30
# Far below the Redis visibility timeout (3600 s), so a waiting retry is never redelivered.
RETRY_CAP_SECONDS = 600


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class SendResult:
    status: str  # "sent", "retry", "failed" or "skipped"
    retry_in: float | None = None


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render emails/<template>-subject.txt, -body.txt and -body.html."""
    context = {"site_url": settings.SITE_URL, "contact_email": settings.CONTACT_EMAIL, **context}
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context).strip() + "\n"
    html = render_to_string(f"emails/{template}-body.html", context)
    return subject, text, html


def notify(
    *,
    template: str,
    to_email: str,
    kind: str,
    dedupe_key: str,
    context: dict | None = None,
    user=None,
    not_before: datetime | None = None,
    attachments: tuple[Attachment, ...] = (),
    headers: dict | None = None,
    reply_to: str = "",
    skip_reason: str = "",
) -> OutboxEmail | None:
    """Queue one email. Returns None when an email with this dedupe key exists.

    Runs inside the caller's transaction: if that rolls back, nothing is sent.
    With skip_reason the row is recorded as failed and never sent, so a late
    reminder is accounted for once instead of being retried or lost silently.
    """
    if OutboxEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    subject, text, html = render_email(template, {"user": user, **(context or {})})
    return queue_email(
        to_email=to_email,
        subject=subject,
        body_text=text,
        body_html=html,
        kind=kind,
        dedupe_key=dedupe_key,
        user=user,
        not_before=not_before,
        attachments=attachments,
        headers=headers,
        reply_to=reply_to,
        skip_reason=skip_reason,
    )


def queue_email(
    *,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str,
    kind: str,
    dedupe_key: str,
    user=None,
    not_before: datetime | None = None,
    attachments: tuple[Attachment, ...] = (),
    headers: dict | None = None,
    reply_to: str = "",
    skip_reason: str = "",
) -> OutboxEmail | None:
    """Write an already-rendered email to the outbox (see notify)."""
    row, created = OutboxEmail.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "user": user,
            "to_email": to_email,
            "reply_to": reply_to,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "attachments": [_encode_attachment(a) for a in attachments],
            "headers": headers or {},
            "kind": kind,
            "not_before": not_before or timezone.now(),
            "status": OutboxEmail.Status.FAILED if skip_reason else OutboxEmail.Status.PENDING,
            "last_error": f"Skipped: {skip_reason}" if skip_reason else "",
        },
    )
    if not created:
        return None
    if skip_reason:
        logger.info("Skipped %s: %s", dedupe_key, skip_reason)
    elif row.not_before <= timezone.now():
        transaction.on_commit(partial(enqueue_send, row.pk))
    return row


def enqueue_send(email_id: int) -> None:
    from .tasks import outbox_send_task

    try:
        outbox_send_task.apply_async(args=[email_id], retry=False)
    except (BrokerError, OSError) as exc:
        # Nothing is lost: the row stays pending and the beat sweep sends it.
        logger.warning("Broker unavailable; outbox email %s left for the sweep: %s", email_id, exc)


def outbox_send(*, email_id: int) -> SendResult:
    """Claim one due row and send it. Safe to call any number of times."""
    now = timezone.now()
    claimed = (
        OutboxEmail.objects.due(now)
        .filter(pk=email_id)
        .update(status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return SendResult("skipped")
    return _deliver(OutboxEmail.objects.get(pk=email_id))


def outbox_sweep(*, batch_size: int = 100, max_batches: int = 20) -> dict:
    """Return stuck rows to pending, then send due rows that no task picked up."""
    now = timezone.now()
    reset = OutboxEmail.objects.stuck(now - STUCK_AFTER).update(status=OutboxEmail.Status.PENDING, claimed_at=None)
    counts = {"reset": reset, "sent": 0, "retry": 0, "failed": 0}
    for _ in range(max_batches):
        batch = _claim_batch(batch_size)
        if not batch:
            break
        for email in batch:
            result = _deliver(email)
            counts[result.status] += 1
    return counts


def outbox_purge(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, sent_at__lt=cutoff).delete()
    return deleted


def outbox_retry(*, email_ids) -> int:
    """Put failed rows back in the queue (the admin's "retry" action)."""
    with transaction.atomic():
        ids = list(
            OutboxEmail.objects.filter(pk__in=email_ids, status=OutboxEmail.Status.FAILED).values_list("pk", flat=True)
        )
        OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.PENDING, attempts=0, not_before=timezone.now(), last_error=""
        )
        for email_id in ids:
            transaction.on_commit(partial(enqueue_send, email_id))
    return len(ids)


def _claim_batch(batch_size: int) -> list[OutboxEmail]:
    now = timezone.now()
    # The lock is held only for this short transaction; SMTP happens after commit.
    with transaction.atomic():
        ids = list(
            OutboxEmail.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("not_before", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(OutboxEmail.objects.filter(pk__in=ids).order_by("not_before", "pk"))


def _deliver(email: OutboxEmail) -> SendResult:
    try:
        _smtp_send(_build_message(email))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        return _record_failure(email, exc)
    OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.SENDING).update(
        status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return SendResult("sent")


def _build_message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"X-Outbox-Id": str(email.pk), **email.headers},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


# One SMTP connection per worker process, reused across tasks: opening a new
# connection per email would dominate the cost of sending.
_connection = None


def _smtp_send(message: EmailMultiAlternatives) -> None:
    global _connection
    reused = _connection is not None
    if _connection is None:
        _connection = get_connection(fail_silently=False)
        _connection.open()
    try:
        _connection.send_messages([message])
    except smtplib.SMTPServerDisconnected:
        _close_connection()
        if not reused:
            raise
        # The server dropped an idle connection; try once more on a fresh one.
        _smtp_send(message)
    except Exception:
        _close_connection()
        raise


def _close_connection() -> None:
    global _connection
    if _connection is not None:
        # A broken connection may fail to close; it is being discarded anyway.
        with contextlib.suppress(Exception):
            _connection.close()
    _connection = None


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    # Anything else (a bad attachment, say) will not improve by retrying.
    return not isinstance(exc, (smtplib.SMTPException, OSError, socket.timeout))


def _backoff(attempts: int) -> float:
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    return ceiling * random.uniform(0.5, 1.0)


def _record_failure(email: OutboxEmail, exc: Exception) -> SendResult:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if _is_permanent(exc) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        OutboxEmail.objects.filter(pk=email.pk).update(status=OutboxEmail.Status.FAILED, last_error=error)
        logger.error("Outbox email %s failed after %s attempt(s): %s", email.pk, email.attempts, error)
        return SendResult("failed")
    delay = _backoff(email.attempts)
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.PENDING,
        not_before=timezone.now() + timedelta(seconds=delay),
        claimed_at=None,
        last_error=error,
    )
    logger.warning("Outbox email %s will be retried in %.0f s: %s", email.pk, delay, error)
    return SendResult("retry", retry_in=delay)


def _encode_attachment(attachment: Attachment) -> dict:
    return {
        "filename": attachment.filename,
        "mimetype": attachment.mimetype,
        "content": base64.b64encode(attachment.content).decode("ascii"),
    }
