"""Email delivery under faults, against real services: Celery workers on the
Redis broker, PostgreSQL, an aiosmtpd sink on loopback and SIGKILL.

Repeats are counted at the sink by Message-ID, which the outbox keeps the same
on every attempt."""

import time
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from network_portal import tasks
from network_portal.models import OutboxEmail
from network_portal.outbox import services
from tests.factories import MemberFactory

from .real_services import kill_worker, pool_children, slow_smtp_sink

pytestmark = pytest.mark.worker

LEASE_SECONDS = 5
# What beat does: one sweep per lane every SWEEP_EVERY seconds (60 s in settings).
SWEEP_EVERY = 60


def _rows(count: int, *, lane: str = OutboxEmail.Lane.ACCOUNT, prefix: str = "test") -> list[OutboxEmail]:
    return OutboxEmail.objects.bulk_create(
        OutboxEmail(
            to_email=f"member{n}@example.org",
            subject=f"Notice {n}",
            body_text=f"Notice number {n}\n",
            kind="test",
            lane=lane,
            dedupe_key=f"{prefix}:{n}",
        )
        for n in range(count)
    )


def _repeats(sink) -> int:
    return sum(times - 1 for times in Counter(message["Message-ID"] for message in sink.messages).values())


def _sweep_like_beat() -> None:
    for lane in OutboxEmail.Lane.values:
        tasks.outbox_sweep.apply_async(kwargs={"lane": lane}, queue=lane, retry=False)


def _wait_until_all_sent(deadline: float, sweep_at: list[float]) -> None:
    while OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists():
        now = time.monotonic()
        assert now < deadline, "rows still unsent at lease + 60 s after the restart"
        if sweep_at and now >= sweep_at[0]:
            sweep_at.pop(0)
            _sweep_like_beat()
        time.sleep(0.2)


def test_worker_killed_mid_batch_sends_every_row_within_lease_plus_a_minute_with_a_repeat_per_child_at_most(
    celery_worker_process,
):
    rows = _rows(200)
    env = {"OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}
    with slow_smtp_sink(delay=0.05) as sink:
        worker = celery_worker_process(concurrency=2, EMAIL_URL=sink.url, **env)
        half = len(rows) // 2
        tasks.outbox_send_task.apply_async(args=[row.pk for row in rows[:half]], queue="account")
        tasks.outbox_send_task.apply_async(args=[row.pk for row in rows[half:]], queue="account")
        sink.wait_for(40, timeout=60)  # both children are mid-batch
        children_killed = len(pool_children(worker))
        kill_worker(worker)
        assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING).exists()

        sink.handler.delay = 0
        celery_worker_process(concurrency=2, EMAIL_URL=sink.url, **env)
        restarted = time.monotonic()
        # Beat's sweep may come at any moment of its minute: now, then every minute.
        sweeps = [restarted + n * SWEEP_EVERY for n in range(3)]
        _wait_until_all_sent(deadline=restarted + LEASE_SECONDS + SWEEP_EVERY, sweep_at=sweeps)

    arrived = Counter(int(message["X-Outbox-Id"]) for message in sink.messages)
    assert set(arrived) == {row.pk for row in rows}  # none lost
    assert children_killed >= 1
    assert _repeats(sink) <= children_killed
    attempts = Counter(OutboxEmail.objects.values_list("attempts", flat=True))
    # Only a row whose SMTP exchange had started when its child died used a second attempt.
    assert sum(count for attempt, count in attempts.items() if attempt > 1) <= children_killed


def test_password_reset_arrives_within_ten_seconds_while_five_thousand_bulk_emails_are_sending(
    celery_worker_process, london_councils
):
    member = MemberFactory()
    bulk = _rows(5000, lane=OutboxEmail.Lane.BULK, prefix="digest")
    with slow_smtp_sink(delay=0.02) as sink:
        # As the Procfile runs them: the worker takes every queue, the account worker only its lane.
        celery_worker_process(concurrency=2, EMAIL_URL=sink.url)
        celery_worker_process(concurrency=1, queues="account", EMAIL_URL=sink.url)
        # What committing the digest's transaction publishes: a task per 100 rows.
        services.enqueue_send(*[row.pk for row in bulk], lane=OutboxEmail.Lane.BULK)
        sink.wait_for(100, timeout=60)  # the bulk lane is busy

        requested = time.monotonic()
        response = Client().post(reverse("account_reset_password"), {"email": member.user.email})
        assert response.status_code == 302
        while not any(member.user.email in message["To"] for message in sink.messages):
            assert time.monotonic() - requested < 10, "the password reset waited behind the bulk emails"
            time.sleep(0.05)

        reset_after = time.monotonic() - requested
        bulk_still_waiting = OutboxEmail.objects.filter(lane="bulk").exclude(status=OutboxEmail.Status.SENT).count()
        # The sink has the message once SMTP's DATA is in, a moment before the worker
        # marks the row sent: closing the sink in between would fail that exchange.
        row = OutboxEmail.objects.get(to_email=member.user.email, kind="account:password_reset_key")
        while row.status != OutboxEmail.Status.SENT and time.monotonic() - requested < 20:
            time.sleep(0.05)
            row.refresh_from_db()

    assert reset_after < 10
    assert bulk_still_waiting > 1000  # the reset really overtook the bulk mail
    assert (row.lane, row.status) == (OutboxEmail.Lane.ACCOUNT, OutboxEmail.Status.SENT)


def test_two_live_workers_with_short_leases_and_a_slow_sink_never_send_a_row_twice(celery_worker_process):
    rows = _rows(48)
    # A chunk of ten at 0.25 s each takes longer than the lease: only renewal keeps it.
    env = {"OUTBOX_LEASE_SECONDS": "2"}
    with slow_smtp_sink(delay=0.25) as sink:
        celery_worker_process(concurrency=2, EMAIL_URL=sink.url, **env)
        celery_worker_process(concurrency=2, EMAIL_URL=sink.url, **env)
        ids = [row.pk for row in rows]
        for start in range(0, len(ids), 12):
            tasks.outbox_send_task.apply_async(args=ids[start : start + 12], queue="account")
        deadline = time.monotonic() + 60
        while OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists():
            assert time.monotonic() < deadline, "rows still unsent after a minute"
            _sweep_like_beat()  # far more often than beat: every chance to take a live worker's row
            time.sleep(0.5)

    assert Counter(int(message["X-Outbox-Id"]) for message in sink.messages) == {row.pk: 1 for row in rows}
    assert _repeats(sink) == 0
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}
