"""The email outbox: every email the portal sends is a row here first.

A service calls notify() inside its own transaction. The row is committed with
the business change, and on commit a send task is published for it on its
lane's queue (one task for all the rows a transaction wrote, in batches of
SEND_BATCH_SIZE). The task, or the minute-by-minute sweep if the broker was
down, claims due rows in small chunks (pending to sending, under SELECT ... FOR
UPDATE SKIP LOCKED) in a short transaction, then sends them over one reused SMTP
connection, marking each sent as it goes. So each row is handed to SMTP by
exactly one live worker, and no lock is held during SMTP.

A claim carries a lease (OUTBOX_LEASE_SECONDS) that the worker renews while it
is alive, including during a long SMTP exchange. When a worker dies, its lease
runs out and the sweep returns its rows to the queue. The row it was sending
at that moment may then be sent a second time, with the same Message-ID: at
most one repeat per worker process killed mid-send.
"""

import base64
import contextlib
import logging
import os
import random
import smtplib
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TypedDict, Unpack

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import Case, Count, F, Min, Q, When
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from kombu.exceptions import KombuError

from .models import OutboxEmail

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
# Far below the Redis visibility timeout (3600 s), so a waiting retry is never redelivered.
RETRY_CAP_SECONDS = 600
# Rows named in one send task (one broker message).
SEND_BATCH_SIZE = 100
# Rows claimed at a time, by the send task and the sweep alike: a crash holds
# back only these until their lease runs out, and the claim costs little more.
CLAIM_CHUNK = 10

# Per thread: the reused SMTP connection (an SMTP session carries one
# conversation at a time) and the rows waiting for their transaction to commit.
_local = threading.local()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class SendResult:
    status: str  # "sent", "retry", "failed" or "skipped" (nothing to do, or not ours)
    retry_in: float | None = None
    email_id: int | None = None
    unreachable: bool = False  # the SMTP server could not be reached at all
    lane: str = OutboxEmail.Lane.ACCOUNT


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render emails/<template>-subject.txt, -body.txt and -body.html."""
    context = {"site_url": settings.SITE_URL, "contact_email": settings.CONTACT_EMAIL, **context}
    subject = " ".join(_render_plain_text(f"emails/{template}-subject.txt", context).split())
    text = _render_plain_text(f"emails/{template}-body.txt", context).strip() + "\n"
    html = render_to_string(f"emails/{template}-body.html", context)
    return subject, text, html


def _render_plain_text(name: str, context: dict) -> str:
    # Without this, "O'Brien & Co" would reach the reader as "O&#x27;Brien &amp; Co"
    # and links would carry "&amp;": HTML escaping is wrong in plain text.
    return get_template(name).template.render(Context(context, autoescape=False))


class Delivery(TypedDict, total=False):
    """How a row is queued besides its content (see queue_email for the defaults):
    notify passes these through to queue_email as they are."""

    user: object
    not_before: datetime | None
    attachments: tuple[Attachment, ...]
    headers: dict | None
    reply_to: str
    skip_reason: str
    lane: str
    sensitive: bool


def notify(
    *,
    template: str,
    to_email: str,
    kind: str,
    dedupe_key: str,
    context: dict | None = None,
    list_unsubscribe_url: str = "",
    **delivery: Unpack[Delivery],
) -> OutboxEmail | None:
    """Queue one email. Returns None when an email with this dedupe key exists.

    lane is ACCOUNT (the default) for account and transactional email that a
    person is waiting for, and BULK for digests, reminders, surveys and staff
    messages, so that those never hold up the first. sensitive marks an email
    that carries a credential (a reset, verification or invitation link, or a
    signed link that acts for the member; an unsubscribe link always counts):
    staff never see its body, and the body is removed once it is sent.
    Runs inside the caller's transaction: if that rolls back, nothing is sent.
    With skip_reason the row is recorded as skipped and never sent, so a late
    reminder is accounted for once instead of being retried or lost silently.
    Marketing-like email (the digest) passes list_unsubscribe_url, an absolute
    one-click link: it goes in the List-Unsubscribe headers and the footer.
    """
    if OutboxEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    context = {"user": delivery.get("user"), **(context or {})}
    if list_unsubscribe_url:
        context.setdefault("unsubscribe_url", list_unsubscribe_url)
        delivery["headers"] = {**unsubscribe_headers(list_unsubscribe_url), **(delivery.get("headers") or {})}
        delivery["sensitive"] = True
    subject, text, html = render_email(template, context)
    return queue_email(
        to_email=to_email,
        subject=subject,
        body_text=text,
        body_html=html,
        kind=kind,
        dedupe_key=dedupe_key,
        **delivery,
    )


def already_queued(*, dedupe_keys=(), prefix: str = "", queued_before: datetime | None = None) -> set[str]:
    """The dedupe keys already in the outbox: those of dedupe_keys, or all that
    start with prefix; with queued_before, only rows queued before then. One
    query, so a rescan skips what it handled before."""
    if prefix:
        rows = OutboxEmail.objects.filter(dedupe_key__startswith=prefix)
    else:
        rows = OutboxEmail.objects.filter(dedupe_key__in=list(dedupe_keys))
    if queued_before is not None:
        rows = rows.filter(created_at__lt=queued_before)
    return set(rows.values_list("dedupe_key", flat=True))


def emails_about(*, user, address: str, key_prefixes: Iterable[str] = ()):
    """The rows to or from a person (by account or address), and those under
    these dedupe-key prefixes (staff emails about them): for their data
    export and erasure."""
    query = Q(user=user) | Q(to_email__iexact=address) | Q(reply_to__iexact=address)
    for prefix in key_prefixes:
        query |= Q(dedupe_key__startswith=prefix)
    return OutboxEmail.objects.filter(query)


def unsubscribe_headers(url: str) -> dict:
    """RFC 2369 and RFC 8058 headers: mail clients show an "Unsubscribe" button
    that POSTs to url without opening a browser."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


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
    lane: str = OutboxEmail.Lane.ACCOUNT,
    sensitive: bool = False,
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
            "lane": lane,
            "sensitive": sensitive,
            "not_before": not_before or timezone.now(),
            "status": OutboxEmail.Status.SKIPPED if skip_reason else OutboxEmail.Status.PENDING,
            "last_error": f"Skipped: {skip_reason}" if skip_reason else "",
        },
    )
    if not created:
        return None
    if skip_reason:
        logger.warning("Outbox email %s (%s) skipped: %s", row.pk, dedupe_key, skip_reason)
    elif row.not_before <= timezone.now():
        # A row due later needs no message: the sweep picks it up when due, so
        # nothing waits on the broker with a far-future ETA.
        _enqueue_after_commit(row.pk, row.lane)
    return row


class _PendingWakeUps:
    """The rows queued in this thread since the last commit, so that one
    transaction's rows are published together.

    A digest run writes hundreds of rows in a transaction, and one task per row
    would spend more on the broker and the worker's bookkeeping than on SMTP.
    Each row still gets its own on-commit callback, so Django's rules hold row
    by row (a rolled-back savepoint drops its rows' callbacks). Callbacks run in
    order after the commit: the first one to run publishes every row from its
    own onwards and starts a fresh list for the next transaction; the rest find
    theirs already published. Rows listed before it belonged to a transaction
    that rolled back (their callbacks never ran), so they are never published."""

    def __init__(self):
        self.rows: list[tuple[int, str]] = []  # (id, lane)
        self.published: set[int] = set()

    def add(self, email_id: int, lane: str) -> int:
        self.rows.append((email_id, lane))
        return len(self.rows) - 1

    def publish_from(self, index: int) -> None:
        if getattr(_local, "pending", None) is self:
            _local.pending = None  # committed: later rows belong to a new transaction
        # A row rolled back with its savepoint may be listed; its task finds nothing to claim.
        rows = [(pk, lane) for pk, lane in self.rows[index:] if pk not in self.published]
        self.published.update(pk for pk, _ in rows)
        for lane in OutboxEmail.Lane.values:
            if ids := [pk for pk, row_lane in rows if row_lane == lane]:
                enqueue_send(*ids, lane=lane)


def _enqueue_after_commit(email_id: int, lane: str) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = _PendingWakeUps()
    index = pending.add(email_id, lane)
    # robust: the caller's change has committed, and a failed wake-up (the
    # sweep covers it) must not turn the response built on it into an error.
    transaction.on_commit(lambda: pending.publish_from(index), robust=True)


def enqueue_send(*email_ids: int, lane: str = OutboxEmail.Lane.ACCOUNT, countdown: float | None = None) -> None:
    """Wake the send task for these rows, on their lane's queue. If the broker
    is down, nothing is lost: the rows stay pending and the beat sweep sends them.

    A countdown is only ever a retry backoff (at most RETRY_CAP_SECONDS), far
    below the broker's visibility timeout."""
    from .tasks import outbox_send_task

    for start in range(0, len(email_ids), SEND_BATCH_SIZE):
        chunk = list(email_ids[start : start + SEND_BATCH_SIZE])
        try:
            outbox_send_task.apply_async(args=chunk, queue=lane, countdown=countdown, retry=False)
        except (KombuError, OSError) as exc:
            logger.warning("Broker unavailable; outbox email(s) %s left for the sweep: %s", _ids_text(chunk), exc)
            return


def _ids_text(email_ids) -> str:
    shown = ", ".join(str(pk) for pk in email_ids[:5])
    return shown + (f" and {len(email_ids) - 5} more" if len(email_ids) > 5 else "")


def outbox_send(*, email_id: int) -> SendResult:
    """Claim one due row and send it. Safe to call any number of times."""
    [result] = outbox_send_many(email_ids=[email_id]) or [SendResult("skipped", email_id=email_id)]
    return result


def outbox_send_many(*, email_ids) -> list[SendResult]:
    """Claim those of these rows that are due, a chunk at a time, and send them
    over one SMTP connection. Rows already claimed, sent or not yet due are left
    alone, so a repeated or duplicated task sends nothing twice."""
    email_ids = list(email_ids)
    results = []
    for start in range(0, len(email_ids), CLAIM_CHUNK):
        results += _send_claimed(_claim(email_ids=email_ids[start : start + CLAIM_CHUNK]))
        if results and results[-1].unreachable:
            # SMTP is down: the rest waits for the same backoff as the rows tried.
            results += _postpone(email_ids[start + CLAIM_CHUNK :], delay=results[-1].retry_in)
            break
    return results


def outbox_sweep(*, lane: str | None = None, batch_size: int = CLAIM_CHUNK, max_batches: int = 200) -> dict:
    """Return rows whose lease ran out to the queue, then send due rows that no
    task picked up (of one lane, or all), batch_size rows claimed at a time.

    Several sweeps (or a sweep and the send tasks) may run at once: each row is
    claimed under SKIP LOCKED by exactly one of them."""
    counts = {"reset": _release_expired(), "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    for _ in range(max_batches):
        batch = _claim(limit=batch_size, lane=lane)
        if not batch:
            break
        results = _send_claimed(batch)
        for result in results:
            counts[result.status] += 1
        if results[-1].unreachable:
            break  # SMTP is down: the rest waits for its backoff
    return counts


def outbox_purge(*, now: datetime | None = None) -> int:
    """Delete sent and skipped rows older than OUTBOX_RETENTION_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxEmail.objects.finished_before(cutoff).delete()
    if deleted:
        logger.info("Purged %s outbox email(s) finished before %s", deleted, cutoff)
    return deleted


def outbox_skip_pending(*, reason: str, user=None, key_prefixes: Iterable[str] = ()) -> int:
    """Record every email still waiting for `user` (a membership has ended), or
    under any of these dedupe-key prefixes (an event changed), as skipped, so
    none of them goes out. Rows already being sent are left alone. Returns how
    many were stopped."""
    query = Q(user=user) if user is not None else Q(pk__in=[])
    for prefix in key_prefixes:
        query |= Q(dedupe_key__startswith=prefix)
    with transaction.atomic():
        return (
            OutboxEmail.objects.waiting()
            .filter(query)
            .update(status=OutboxEmail.Status.SKIPPED, last_error=f"Skipped: {reason}")
        )


def outbox_retry(*, email_ids) -> int:
    """Put failed rows back in the queue (the admin's "retry" action).

    A sensitive row's body was removed when it failed, so it cannot be sent
    again: the member asks for a new link instead."""
    with transaction.atomic():
        failed = OutboxEmail.objects.failed().filter(pk__in=email_ids, sensitive=False)
        rows = list(failed.values_list("pk", "lane"))
        OutboxEmail.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=OutboxEmail.Status.PENDING,
            attempts=0,
            not_before=timezone.now(),
            claimed_at=None,
            lease_expires_at=None,
            last_error="",
        )
        for email_id, lane in rows:
            _enqueue_after_commit(email_id, lane)
    return len(rows)


def outbox_backlog(*, now: datetime | None = None) -> dict:
    """Due emails not yet sent, and how long the oldest has waited (for /healthz)."""
    now = now or timezone.now()
    figures = OutboxEmail.objects.backlog(now).aggregate(pending=Count("pk"), oldest=Min("not_before"))
    return {"pending": figures["pending"], "oldest_pending_seconds": _age_seconds(figures["oldest"], now)}


def outbox_attention(*, now: datetime | None = None) -> dict:
    """What the admin index shows staff, in one query: emails delayed beyond the
    lease, failed emails, emails waiting and the age of the oldest due one."""
    now = now or timezone.now()
    Status = OutboxEmail.Status
    due = Q(status__in=[Status.PENDING, Status.SENDING], not_before__lte=now)
    figures = OutboxEmail.objects.filter(status__in=[Status.PENDING, Status.SENDING, Status.FAILED]).aggregate(
        delayed=Count(
            "pk",
            filter=Q(status=Status.PENDING, not_before__lt=now - lease())
            | Q(status=Status.SENDING, lease_expires_at__lt=now),
        ),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        waiting=Count("pk", filter=Q(status=Status.PENDING)),
        oldest=Min("not_before", filter=due),
    )
    figures["oldest_pending_seconds"] = _age_seconds(figures.pop("oldest"), now)
    return figures


def _age_seconds(moment: datetime | None, now: datetime) -> int:
    return max(int((now - moment).total_seconds()), 0) if moment else 0


def _release_expired() -> int:
    """Hand rows whose lease ran out (their worker was killed, say) back to the queue.

    A row that has used up its attempts is failed instead: if it is what keeps
    killing the worker, sending it again would loop for ever."""
    expired = OutboxEmail.objects.lease_expired(timezone.now())
    used_up = expired.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
    used_up.filter(sensitive=True).update(body_text=OutboxEmail.REDACTED, body_html="", attachments=[], headers={})
    failed = used_up.update(
        status=OutboxEmail.Status.FAILED,
        claimed_at=None,
        lease_expires_at=None,
        last_error="Abandoned while sending, attempts used up",
    )
    reset = expired.update(status=OutboxEmail.Status.PENDING, claimed_at=None, lease_expires_at=None)
    if failed or reset:
        logger.warning("Outbox sweep: %s email(s) whose lease ran out returned to the queue, %s failed", reset, failed)
    return reset


def _claim(
    *, email_ids: list[int] | None = None, limit: int = CLAIM_CHUNK, lane: str | None = None
) -> list[OutboxEmail]:
    """Mark due rows as ours (pending to sending, with a lease) and return them.

    The row locks last only for this short transaction; SMTP happens after it
    commits. SKIP LOCKED lets concurrent claimers take disjoint rows. A row
    uses an attempt only when its SMTP exchange starts, so only the first row's
    is counted here; a crash costs the rows never tried nothing."""
    now = timezone.now()
    due = OutboxEmail.objects.due(now)
    if email_ids is not None:
        due, limit = due.filter(pk__in=email_ids), len(email_ids)
    if lane is not None:
        due = due.filter(lane=lane)
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        ids = list(
            due.select_for_update(skip_locked=True).order_by("not_before", "pk").values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.SENDING,
            claimed_at=now,
            lease_expires_at=now + lease(),
            attempts=Case(
                When(pk=ids[0], then=F("attempts") + 1),
                default=F("attempts"),
                output_field=OutboxEmail._meta.get_field("attempts"),
            ),
        )
    return list(OutboxEmail.objects.filter(pk__in=ids).order_by("not_before", "pk"))


def _commit_without_waiting_for_disk() -> None:
    """For this transaction only, on PostgreSQL. A claim need not be durable by
    itself: the commit marking its first row sent is, and it flushes the claim
    with it (the log is written in order). If the database lost a claim in the
    moment before that, its rows would wait again, which is the state a crash
    mid-send leaves anyway. Saves a wait for the disk per claim."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _send_claimed(emails: list[OutboxEmail]) -> list[SendResult]:
    results = []
    _lease_keeper.hold(emails)
    try:
        begun = True  # the claim counted the first row's attempt
        for index, email in enumerate(emails):
            following = emails[index + 1] if index + 1 < len(emails) else None
            result, begun = _deliver(email, begun=begun, following=following)
            _lease_keeper.release(email)
            results.append(result)
            if result.unreachable:
                # Every other row would wait out its own connection timeout too.
                results += _return_untried(emails[index + 1 :], delay=result.retry_in)
                break
    finally:
        _lease_keeper.release(*emails)
    return results


def _return_untried(emails: list[OutboxEmail], *, delay: float) -> list[SendResult]:
    if not emails:
        return []
    OutboxEmail.objects.filter(
        pk__in=[email.pk for email in emails], status=OutboxEmail.Status.SENDING, claimed_at=emails[0].claimed_at
    ).update(
        status=OutboxEmail.Status.PENDING,
        not_before=timezone.now() + timedelta(seconds=delay),
        claimed_at=None,
        lease_expires_at=None,
    )
    return [
        SendResult("retry", retry_in=delay, email_id=email.pk, unreachable=True, lane=email.lane) for email in emails
    ]


def _postpone(email_ids: list[int], *, delay: float) -> list[SendResult]:
    """Move due rows that were never claimed to after the backoff."""
    rows = OutboxEmail.objects.due().filter(pk__in=email_ids)
    lanes = dict(rows.values_list("pk", "lane"))
    rows.filter(pk__in=list(lanes)).update(not_before=timezone.now() + timedelta(seconds=delay))
    return [SendResult("retry", retry_in=delay, email_id=pk, unreachable=True, lane=lane) for pk, lane in lanes.items()]


class _LeaseKeeper:
    """Renews the lease on the rows this process is sending, so a slow but live
    SMTP exchange is never taken for a crash.

    One daemon thread per process (a forked worker child starts its own on first
    use) wakes every third of the lease and renews whatever is held at that
    moment. A chunk sent quickly, the usual case, is released before it ever
    looks, so it costs no query and no thread per chunk. Renewal is conditional
    on the claim, so a row another worker has taken over is left alone."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._held: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, emails: list[OutboxEmail]) -> None:
        with self._lock:
            self._held.update((email.pk, email.claimed_at) for email in emails)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="outbox-lease")
                self._thread.start()

    def release(self, *emails: OutboxEmail) -> None:
        with self._lock:
            for email in emails:
                self._held.pop(email.pk, None)

    def _run(self) -> None:
        while True:
            time.sleep(max(lease().total_seconds() / 3, 0.1))
            with self._lock:
                held = dict(self._held)
            if held:
                self._renew(held)

    def _renew(self, held: dict[int, datetime]) -> None:
        by_claim: dict = {}
        for pk, claimed_at in held.items():
            by_claim.setdefault(claimed_at, []).append(pk)
        try:
            for claimed_at, ids in by_claim.items():
                OutboxEmail.objects.filter(pk__in=ids, status=OutboxEmail.Status.SENDING, claimed_at=claimed_at).update(
                    lease_expires_at=timezone.now() + lease()
                )
        except DatabaseError as exc:
            logger.warning("Outbox lease renewal failed; will try again: %s", exc)
        finally:
            db_connection.close()  # this thread's own; renewals are rare, so none is kept open


_lease_keeper = _LeaseKeeper()


def _begin_attempt(email: OutboxEmail) -> bool:
    """Count the attempt and renew the lease, just before the SMTP exchange,
    if the row is still ours. A row another worker took over (its lease had
    run out) is not sent.

    Only for a row that follows one that failed or was skipped: otherwise the
    claim (for the first row of a chunk) or the statement marking the previous
    row sent does it, so that the normal path costs one write per email."""
    started = _claimed(email).update(attempts=F("attempts") + 1, lease_expires_at=timezone.now() + lease())
    email.attempts += 1
    return bool(started)


def _deliver(email: OutboxEmail, *, begun: bool, following: OutboxEmail | None) -> tuple[SendResult, bool]:
    """Send a claimed row whose attempt has been counted (begun), and count the
    attempt of the row sent after it (following): when this one goes out, in
    the statement that marks it sent, so an email costs one write, not two.
    Returns the result and whether following is still ours to send."""
    if not begun:
        logger.warning("Outbox email %s was taken over while waiting in a batch; leaving it to its new owner", email.pk)
        return SendResult("skipped", email_id=email.pk, lane=email.lane), _begin_next(following)
    try:
        _smtp_send(_build_message(email))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        result = _record_failure(email, exc)
        return result, not result.unreachable and _begin_next(following)
    sent, following_begun = _mark_sent(email, following)
    if not sent:
        logger.error("Outbox email %s was sent but its claim had been taken over; it may be sent twice", email.pk)
    return SendResult("sent", email_id=email.pk, lane=email.lane), following_begun


def _begin_next(email: OutboxEmail | None) -> bool:
    return email is not None and _begin_attempt(email)


def _mark_sent(email: OutboxEmail, following: OutboxEmail | None = None) -> tuple[bool, bool]:
    """Mark email sent and, in the same durable statement, begin the attempt of
    following (a row of the same claim). Returns whether each was still ours."""
    ids = [email.pk, following.pk if following else email.pk]
    with db_connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(redact=email.sensitive), _mark_sent_params(email, ids))
        changed = cursor.rowcount
    if following is None:
        return bool(changed), False
    # One row changed: which one is the rare case worth a second query.
    following_begun = changed == 2 or (changed == 1 and _claimed(following).exists())
    if following_begun:
        following.attempts += 1
    return changed == 2 or (changed == 1 and not following_begun), following_begun


def _mark_sent_sql(*, redact: bool) -> str:
    # Written out rather than through the ORM: building a two-row CASE update
    # cost more CPU per email than the SMTP exchange. Each assignment names the
    # sent row; the other row (following) only has its attempt counted and its
    # lease renewed.
    sets = [
        ("status", "%s", "status"),
        ("sent_at", "%s", "sent_at"),
        ("last_error", "''", "last_error"),
        ("lease_expires_at", "NULL", "%s"),
        ("attempts", "attempts", "attempts + 1"),
    ]
    if redact:
        sets += [
            ("body_text", "%s", "body_text"),
            ("body_html", "''", "body_html"),
            ("attachments", "'[]'", "attachments"),
            ("headers", "'{}'", "headers"),
        ]
    assignments = ", ".join(f"{name} = CASE WHEN id = %s THEN {sent} ELSE {other} END" for name, sent, other in sets)
    return (
        f"UPDATE {OutboxEmail._meta.db_table} SET {assignments} "  # noqa: S608 - names only; values are parameters  # nosec B608
        "WHERE id IN (%s, %s) AND status = %s AND claimed_at = %s"
    )


def _mark_sent_params(email: OutboxEmail, ids: list[int]) -> list:
    """Parameters in the order of _mark_sent_sql's placeholders."""
    # As the ORM would store them: SQLite keeps naive UTC text, so an aware
    # claimed_at passed as it is would match nothing.
    now, expires, claimed_at = map(
        db_connection.ops.adapt_datetimefield_value, (timezone.now(), timezone.now() + lease(), email.claimed_at)
    )
    params = [
        email.pk, OutboxEmail.Status.SENT,
        email.pk, now,
        email.pk,
        email.pk, expires,
        email.pk,
    ]  # fmt: skip
    if email.sensitive:
        params += [email.pk, OutboxEmail.REDACTED, email.pk, email.pk, email.pk]
    return [*params, *ids, OutboxEmail.Status.SENDING, claimed_at]


def _redaction(email: OutboxEmail) -> dict:
    """For a sensitive row with nothing left to send: the fields that blank its
    credential, written in the same update as its final status. Until then a
    retry still has the whole body."""
    if not email.sensitive:
        return {}
    return {"body_text": OutboxEmail.REDACTED, "body_html": "", "attachments": [], "headers": {}}


def _claimed(email: OutboxEmail):
    return OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.SENDING, claimed_at=email.claimed_at)


def _build_message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Message-ID": _message_id(email), "X-Outbox-Id": str(email.pk), **email.headers},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def _message_id(email: OutboxEmail) -> str:
    """The same Message-ID on every attempt, so that if a send is repeated after
    a crash between SMTP and marking the row sent, mail systems that dedupe on
    Message-ID show it once. It also spares Django a DNS lookup for its own."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{email.pk}.{int(email.created_at.timestamp())}@{domain}>"


# One SMTP connection per worker thread, reused across sends: opening a new
# connection per email would dominate the cost of sending.


def _email_settings_key() -> tuple:
    # A connection opened under other settings (a test, a reconfigured
    # process) is not reused.
    return tuple(
        getattr(settings, name, None)
        for name in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_USE_SSL")
    )


def _smtp_send(message: EmailMultiAlternatives) -> None:
    connection, reused = _open_connection()
    try:
        connection.send_messages([message])
    except Exception as exc:
        close_connection()
        if not (reused and _is_stale_connection(exc)):
            raise
        # The server dropped a connection that sat idle; one try on a fresh one.
        connection, _ = _open_connection()
        try:
            connection.send_messages([message])
        except Exception:
            close_connection()
            raise


def _open_connection():
    key = _email_settings_key()
    connection = getattr(_local, "connection", None)
    if connection is not None and _local.key == key:
        return connection, True
    close_connection()
    connection = get_connection(fail_silently=False)
    connection.open()
    _local.connection, _local.key = connection, key
    return connection, False


def close_connection() -> None:
    """Close this thread's SMTP connection, if any."""
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        # A broken connection may fail to close; it is being discarded anyway.
        with contextlib.suppress(Exception):
            connection.close()


def _is_stale_connection(exc: Exception) -> bool:
    """True for failures that mean the connection died before the message was
    accepted, so sending again on a new connection cannot duplicate it."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | BrokenPipeError):
        return True
    # 421 "service closing" in answer to MAIL FROM: the server timed us out.
    return isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 421


def _is_unreachable(exc: Exception) -> bool:
    """The server could not be reached or dropped us: not this message's fault."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    # smtplib's own errors are OSErrors too; these are the socket-level ones.
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    # Anything else (a bad attachment, say) will not improve by retrying.
    return not isinstance(exc, smtplib.SMTPException | OSError | socket.timeout)


def _backoff(attempts: int) -> float:
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    return ceiling * random.uniform(0.5, 1.0)


def _record_failure(email: OutboxEmail, exc: Exception) -> SendResult:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    unreachable = _is_unreachable(exc)
    if _is_permanent(exc) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _claimed(email).update(
            status=OutboxEmail.Status.FAILED,
            claimed_at=None,
            lease_expires_at=None,
            last_error=error,
            **_redaction(email),
        )
        logger.error("Outbox email %s failed after %s attempt(s): %s", email.pk, email.attempts, error)
        return SendResult(
            "failed",
            retry_in=_backoff(1) if unreachable else None,
            email_id=email.pk,
            unreachable=unreachable,
            lane=email.lane,
        )
    delay = _backoff(email.attempts)
    _claimed(email).update(
        status=OutboxEmail.Status.PENDING,
        not_before=timezone.now() + timedelta(seconds=delay),
        claimed_at=None,
        lease_expires_at=None,
        last_error=error,
    )
    logger.warning("Outbox email %s will be retried in %.0f s: %s", email.pk, delay, error)
    return SendResult("retry", retry_in=delay, email_id=email.pk, unreachable=unreachable, lane=email.lane)


def _encode_attachment(attachment: Attachment) -> dict:
    return {
        "filename": attachment.filename,
        "mimetype": attachment.mimetype,
        "content": base64.b64encode(attachment.content).decode("ascii"),
    }
