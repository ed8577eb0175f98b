"""End to end: a real Celery worker process on the Redis broker, PostgreSQL,
and an SMTP server on loopback."""

import logging
import time

import pytest
from django.db import transaction

from network_portal import tasks
from network_portal.models import OutboxEmail
from network_portal.outbox import Attachment

from .outbox_support import broker_down, email_templates, send_notice, wait_for_status  # noqa: F401 - fixture
from .smtp import SmtpSink

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("email_templates")]

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Outbox//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:meeting-12@example.org\r\nDTSTAMP:20260301T120000Z\r\nDTSTART:20260331T170000Z\r\n"
    b"SUMMARY:Network meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _worker_has_caught_up() -> None:
    # One worker process takes tasks in order, so once a ping answers,
    # everything sent before it has run.
    assert tasks.ping.delay().get(timeout=30) == "pong"


def test_real_worker_delivers_one_row_exactly_once_with_html_text_and_ics_intact(celery_worker_process):
    with SmtpSink() as sink:
        celery_worker_process(EMAIL_URL=sink.url)
        with transaction.atomic():
            row = send_notice(
                dedupe_key="reminder:meeting:12:member:40:7d",
                attachments=(Attachment(filename="meeting-12.ics", content=ICS, mimetype="text/calendar"),),
            )

        [message] = sink.wait_for(1)
        row = wait_for_status(row, OutboxEmail.Status.SENT)
        # A duplicate task delivery and a sweep find nothing left to send.
        tasks.outbox_send_task.delay(row.pk)
        tasks.outbox_sweep.delay()
        _worker_has_caught_up()

        assert sink.outbox_ids() == {row.pk: 1}
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 1)
        assert message["Subject"] == row.subject
        assert message["To"] == row.to_email
        assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == row.body_text
        assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == row.body_html
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "meeting-12.ics"
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_content().encode().replace(b"\r\n", b"\n") == ICS.replace(b"\r\n", b"\n")


def test_broker_down_at_enqueue_leaves_the_row_pending_and_the_sweep_sends_it_when_back(celery_worker_process, caplog):
    with SmtpSink() as sink:
        celery_worker_process(EMAIL_URL=sink.url)
        with broker_down(), caplog.at_level(logging.WARNING, logger="network_portal.outbox.services"):
            started = time.monotonic()
            with transaction.atomic():
                row = send_notice(dedupe_key="test:broker-down")
            commit_seconds = time.monotonic() - started

        # The commit succeeded and did not hang on the dead broker.
        assert commit_seconds < 3
        assert "left for the sweep" in caplog.text
        _worker_has_caught_up()
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 0)
        assert sink.messages == []

        tasks.outbox_sweep.delay()  # what beat does every minute
        sink.wait_for(1)
        wait_for_status(row, OutboxEmail.Status.SENT)
        tasks.outbox_sweep.delay()
        _worker_has_caught_up()

        assert sink.outbox_ids() == {row.pk: 1}
