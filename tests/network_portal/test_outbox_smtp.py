"""Delivery over real SMTP (aiosmtpd on loopback) and real PostgreSQL."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from network_portal.models import OutboxEmail
from network_portal.outbox import services
from network_portal.tasks import outbox_send_task
from tests.concurrency import run_at_once

from .outbox_support import email_templates, pending_rows, send_notice  # noqa: F401 - fixture
from .smtp import SmtpSink, free_port

pytestmark = pytest.mark.usefixtures("email_templates")

TRY_LATER = "421 4.3.0 Try again later"


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        server.use_in(settings)
        yield server


def _seconds_until_retry(row: OutboxEmail) -> float:
    return (row.not_before - timezone.now()).total_seconds()


@pytest.mark.django_db
def test_smtp_failing_twice_then_recovering_sends_once_with_three_attempts(sink):
    sink.handler.data_replies = [TRY_LATER, TRY_LATER]
    row = send_notice(dedupe_key="test:flaky")

    assert services.outbox_send(email_id=row.pk).status == "retry"
    # Not due yet: a repeated task must not jump the backoff.
    assert services.outbox_send(email_id=row.pk).status == "skipped"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 1)
    assert "421" in row.last_error

    with time_machine.travel(row.not_before + timedelta(seconds=1)):
        assert services.outbox_sweep()["retry"] == 1
    row.refresh_from_db()
    assert row.attempts == 2
    with time_machine.travel(row.not_before + timedelta(seconds=1)):
        assert services.outbox_sweep()["sent"] == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxEmail.Status.SENT, 3, "")
    assert sink.outbox_ids() == {row.pk: 1}


@pytest.mark.django_db
def test_permanent_5xx_fails_after_one_attempt(sink):
    sink.handler.data_replies = ["550 5.1.1 Mailbox does not exist"]
    row = send_notice(dedupe_key="test:bounce")

    assert services.outbox_send(email_id=row.pk).status == "failed"

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.FAILED, 1)
    assert "550" in row.last_error
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert services.outbox_sweep()["sent"] == 0
    assert sink.messages == []


@pytest.mark.django_db
def test_unreachable_smtp_is_retried_with_capped_backoff_until_attempts_run_out(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    row = send_notice(dedupe_key="test:unreachable")

    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        result = services.outbox_send(email_id=row.pk)
        while result.status == "retry":
            row.refresh_from_db()
            waits.append(_seconds_until_retry(row))
            assert waits[-1] == pytest.approx(result.retry_in, abs=0.001)  # the task's countdown agrees
            clock.move_to(row.not_before + timedelta(seconds=1))
            result = services.outbox_send(email_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.FAILED, settings.OUTBOX_MAX_ATTEMPTS)
    assert len(waits) == settings.OUTBOX_MAX_ATTEMPTS - 1
    assert max(waits) <= services.RETRY_CAP_SECONDS < visibility_timeout / 2
    # Jittered: retries of rows that failed together do not stampede back at once.
    assert len({round(wait, 3) for wait in waits}) == len(waits)


@pytest.mark.django_db
def test_one_smtp_connection_carries_many_emails(sink):
    rows = pending_rows(5)

    assert services.outbox_sweep()["sent"] == len(rows)

    assert sink.handler.sessions == 1
    assert sink.outbox_ids() == {row.pk: 1 for row in rows}


@pytest.mark.django_db
def test_connection_dropped_by_the_server_while_idle_is_reopened_without_losing_the_email(settings):
    with SmtpSink(idle_timeout=0.3) as sink:
        sink.use_in(settings)
        first = send_notice(dedupe_key="test:idle:1")
        assert services.outbox_send(email_id=first.pk).status == "sent"
        time.sleep(0.8)  # the server closes the idle connection
        second = send_notice(dedupe_key="test:idle:2")

        assert services.outbox_send(email_id=second.pk).status == "sent"

        second.refresh_from_db()
        assert second.attempts == 1
        assert sink.handler.sessions == 2
        assert sink.outbox_ids() == {first.pk: 1, second.pk: 1}


@pytest.mark.django_db
def test_row_released_while_waiting_in_a_batch_is_left_to_its_new_owner(sink):
    first, second = pending_rows(2)
    batch = services._claim(limit=10)
    assert [email.pk for email in batch] == [first.pk, second.pk]
    # SMTP hung for ten minutes: another sweep released the second row and claimed it afresh.
    later = timezone.now() + services.lease() + timedelta(seconds=1)
    OutboxEmail.objects.filter(pk=second.pk).update(claimed_at=later)

    with time_machine.travel(later):
        results = services._send_claimed(batch)

    assert [result.status for result in results] == ["sent", "skipped"]
    assert sink.outbox_ids() == {first.pk: 1}
    second.refresh_from_db()
    assert (second.status, second.claimed_at, second.attempts) == (OutboxEmail.Status.SENDING, later, 0)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_threads_deliver_each_of_200_rows_exactly_once(sink):
    rows = pending_rows(200)

    def sweep():
        try:
            return services.outbox_sweep(batch_size=10)
        finally:
            services.close_connection()

    results, errors = run_at_once([sweep, sweep])

    assert errors == []
    assert sum(result["sent"] for result in results) == len(rows)
    assert all(result["sent"] > 0 for result in results)  # both sweeps really took part
    assert sink.outbox_ids() == {row.pk: 1 for row in rows}
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxEmail.Status.SENT}
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_unreachable_smtp_stops_the_sweep_and_returns_the_untried_rows_unharmed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    rows = pending_rows(5)

    counts = services.outbox_sweep(batch_size=3)

    assert counts["retry"] == 3  # one batch: the first row tried, the other two handed back
    by_pk = {row.pk: row for row in OutboxEmail.objects.all()}
    assert [by_pk[row.pk].attempts for row in rows] == [1, 0, 0, 0, 0]
    assert {row.status for row in by_pk.values()} == {OutboxEmail.Status.PENDING}
    assert all(by_pk[row.pk].not_before > timezone.now() for row in rows[:3])


@pytest.mark.django_db
def test_send_task_for_a_batch_sends_each_row_and_wakes_itself_for_the_retry(sink, monkeypatch):
    sink.handler.data_replies = [TRY_LATER]
    rows = pending_rows(3)
    wake_ups = []
    monkeypatch.setattr(services, "enqueue_send", lambda *ids, lane, countdown=None: wake_ups.append((ids, countdown)))

    outbox_send_task.delay(*[row.pk for row in rows])

    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses == {rows[0].pk: "pending", rows[1].pk: "sent", rows[2].pk: "sent"}
    retried = OutboxEmail.objects.get(pk=rows[0].pk)
    [(ids, countdown)] = wake_ups
    assert ids == (rows[0].pk,)
    assert countdown == pytest.approx(_seconds_until_retry(retried), abs=1)
    assert sink.outbox_ids() == {rows[1].pk: 1, rows[2].pk: 1}
