"""Fault drills against real services: our own redis-server, aiosmtpd on
loopback, real Celery workers and PostgreSQL. Each breaks one service in the
middle of real work and checks that nothing is lost or sent twice."""

import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from network_portal import tasks
from network_portal.models import OutboxEmail
from network_portal.outbox import services
from tests.factories import MemberFactory
from tests.network_portal.outbox_support import pending_rows, wait_for_status
from tests.network_portal.smtp import SmtpSink, free_port
from tests.training.factories import SessionFactory
from training.models import Booking

from .real_services import RedisServer, celery_broker, kill_worker, slow_smtp_sink

PROBLEM_PAGE = "Sorry, there is a problem with the service"


def _confirmation(booking: Booking) -> OutboxEmail:
    return OutboxEmail.objects.get(dedupe_key=f"training-confirmation:booking:{booking.pk}")


# --- Redis ------------------------------------------------------------------


@pytest.mark.worker
def test_booking_while_redis_is_down_succeeds_and_its_email_goes_out_once_redis_is_back(
    celery_worker_process, client, settings
):
    session, member = SessionFactory(), MemberFactory()
    client.force_login(member.user)
    with RedisServer() as server, SmtpSink() as sink, celery_broker(server.url):
        # This process's cache (rate limits) and broker, and the worker's, all use our Redis.
        settings.REDIS_URL = server.url
        settings.CACHES = {
            "default": {"BACKEND": "network_portal.redis_cache.SharedClientRedisCache", "LOCATION": server.url}
        }
        celery_worker_process(REDIS_URL=server.url, EMAIL_URL=sink.url)

        server.kill()
        started = time.monotonic()
        response = client.post(reverse("training:session-book", args=[session.pk]))
        took = time.monotonic() - started

        assert response.status_code == 302
        booking = Booking.objects.get(session=session, member=member)
        assert booking.status == Booking.Status.CONFIRMED
        row = _confirmation(booking)
        # The wake-up was lost with Redis; the row waits in PostgreSQL.
        assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 0)
        assert client.get(reverse("healthz")).json()["broker"] == "down"
        assert sink.messages == []

        server.start()  # empty, as after a crash: no queued task survived
        tasks.outbox_sweep.apply_async(retry=False)  # what beat publishes every minute
        [message] = sink.wait_for(1, timeout=60)
        wait_for_status(row, OutboxEmail.Status.SENT, timeout=60)

    assert message["To"] == member.user.email
    assert sink.outbox_ids() == {row.pk: 1}
    # The member was not kept waiting on the dead Redis for long.
    assert took < 10


# --- SMTP -------------------------------------------------------------------


@pytest.mark.django_db
def test_smtp_down_retries_then_delivers_the_booking_email_exactly_once(
    client, settings, django_capture_on_commit_callbacks
):
    sink = SmtpSink()  # its port is chosen, but nothing listens until it starts
    sink.use_in(settings)
    settings.EMAIL_TIMEOUT = 5
    session, member = SessionFactory(), MemberFactory()
    client.force_login(member.user)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("training:session-book", args=[session.pk])).status_code == 302
        row = _confirmation(Booking.objects.get(session=session, member=member))
        assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 1)
        assert "refused" in row.last_error.lower()

        clock.move_to(row.not_before + timedelta(seconds=1))
        assert services.outbox_sweep()["retry"] == 1  # beat's sweep, SMTP still down
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 2)

        with sink:
            clock.move_to(row.not_before + timedelta(seconds=1))
            assert services.outbox_sweep()["sent"] == 1
            sink.wait_for(1)
            # A late retry wake-up and later sweeps find nothing left to send.
            tasks.outbox_send_task.delay(row.pk)
            clock.shift(timedelta(hours=1))
            assert services.outbox_sweep()["sent"] == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 3)
    assert sink.outbox_ids() == {row.pk: 1}


# --- A worker killed mid-send ------------------------------------------------


@pytest.mark.worker
def test_worker_killed_mid_send_leaves_every_row_sent_or_failed_after_the_sweep_with_at_most_one_duplicate(
    celery_worker_process, settings
):
    rows = pending_rows(6, key_prefix="test:killed")
    with slow_smtp_sink(delay=1.5) as sink:
        worker = celery_worker_process(EMAIL_URL=sink.url)
        tasks.outbox_send_task.delay(*[row.pk for row in rows])
        sink.wait_for(2, timeout=60)  # the second is handed over, its "250" not yet sent
        kill_worker(worker)

        abandoned = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING).count()
        assert abandoned >= 1

        # Beat's sweep, once the claims are old enough to count as abandoned.
        sink.handler.delay = 0
        sink.use_in(settings)
        with time_machine.travel(timezone.now() + services.lease() + timedelta(minutes=1)):
            counts = services.outbox_sweep()

    assert counts["reset"] == abandoned
    statuses = Counter(OutboxEmail.objects.values_list("status", flat=True))
    assert set(statuses) <= {OutboxEmail.Status.SENT, OutboxEmail.Status.FAILED}
    arrived = sink.outbox_ids()
    assert set(arrived) == {row.pk for row in rows}
    assert sum(times - 1 for times in arrived.values()) <= 1


# --- PostgreSQL --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_unreachable_gives_503_health_and_the_plain_500_page_then_recovers_by_itself(settings):
    settings.DEBUG = False
    SessionFactory()
    member = MemberFactory()
    visitor = Client(raise_request_exception=False)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(member.user)
    pages = [
        (visitor, reverse("training:index")),
        (visitor, reverse("meetings:list")),
        (signed_in, reverse("home")),  # reading the session needs the database
        (signed_in, reverse("members:account")),
    ]

    original_port = connection.settings_dict["PORT"]
    dead_port = str(free_port())
    connection.close()
    connection.settings_dict["PORT"] = dead_port
    try:
        health = visitor.get(reverse("healthz"))
        assert (health.status_code, health.json()["database"]) == (503, "down")
        for client, url in pages:
            response = client.get(url)
            body = response.content.decode()
            assert response.status_code == 500, url
            assert PROBLEM_PAGE in body
            assert 'href="/static/vendor/bootstrap/bootstrap.min.css"' in body  # styled, not Django's bare text
            for detail in ("Traceback", "OperationalError", "psycopg", dead_port, "could not connect"):
                assert detail not in body, (url, detail)
    finally:
        # Only the address is put back: the portal must reconnect without help.
        connection.settings_dict["PORT"] = original_port

    assert visitor.get(reverse("healthz")).status_code == 200
    for client, url in pages:
        assert client.get(url).status_code == 200, url
