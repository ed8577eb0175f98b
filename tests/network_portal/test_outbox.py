import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from network_portal.models import OutboxEmail
from network_portal.outbox import Attachment, services
from network_portal.tasks import outbox_send_task
from tests.factories import UserFactory

from .outbox_support import email_templates, send_notice  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_templates")]


def _html_part(message) -> str:
    return next(body for body, mimetype in message.alternatives if mimetype == "text/html")


def test_notify_renders_subject_and_both_parts_through_the_layout_with_absolute_links(settings):
    row = send_notice(dedupe_key="test:render")

    assert row.subject == "Notice for Ada"
    assert row.body_text.startswith("Hello Ada,")
    assert f"{settings.SITE_URL}/meetings/?from=email&id=7" in row.body_text
    assert f'href="{settings.SITE_URL}/meetings/?from=email&amp;id=7"' in row.body_html
    # The shared layout wraps both parts.
    assert "Mentally Healthier Councils Network, coordinated by Thrive LDN" in row.body_text
    assert f"{settings.SITE_URL}/privacy/" in row.body_html
    assert row.status == OutboxEmail.Status.PENDING


def test_service_email_says_why_the_member_gets_it_in_text_and_html(mailoutbox, django_capture_on_commit_callbacks):
    reason = "You get this email because you registered for the March network meeting."
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(dedupe_key="test:reason", context={"reason": reason})

    [message] = mailoutbox
    assert reason in message.body
    assert reason in _html_part(message)


def test_plain_text_part_and_subject_are_not_html_escaped():
    row = send_notice(dedupe_key="test:escape", name="O'Brien & Co")

    assert row.subject == "Notice for O'Brien & Co"
    assert "Hello O'Brien & Co," in row.body_text
    assert "Hello O&#x27;Brien &amp; Co," in row.body_html


def test_committed_email_is_enqueued_on_commit_and_delivered_once(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            row = send_notice(dedupe_key="test:commit", to_email=user.email, user=user)
        assert mailoutbox == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    [message] = mailoutbox
    assert message.to == [user.email]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.user) == (OutboxEmail.Status.SENT, 1, user)
    assert row.sent_at is not None
    assert message.extra_headers["X-Outbox-Id"] == str(row.pk)


def test_rolled_back_transaction_enqueues_and_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_notice(dedupe_key="test:rollback")
        raise RuntimeError("the booking failed")

    assert callbacks == []
    assert not OutboxEmail.objects.exists()
    assert mailoutbox == []


def test_same_dedupe_key_twice_gives_one_row_and_one_email(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send_notice(dedupe_key="reminder:meeting:12:member:40:7d")
        second = send_notice(dedupe_key="reminder:meeting:12:member:40:7d", name="Someone else")

    assert first is not None
    assert second is None
    assert OutboxEmail.objects.count() == 1
    assert len(mailoutbox) == 1


def test_sending_the_same_row_again_delivers_nothing_more(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = send_notice(dedupe_key="test:twice")

    # A redelivered task, a retried task and a sweep all find it already sent.
    assert services.outbox_send(email_id=row.pk).status == "skipped"
    outbox_send_task.delay(row.pk)
    assert services.outbox_sweep()["sent"] == 0
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_email_due_later_is_not_enqueued_and_the_sweep_sends_it_when_due(
    mailoutbox, django_capture_on_commit_callbacks
):
    due = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = send_notice(dedupe_key="test:later", not_before=due)
    assert callbacks == []

    with time_machine.travel(due - timedelta(seconds=1)):
        assert services.outbox_sweep()["sent"] == 0
    with time_machine.travel(due):
        assert services.outbox_sweep()["sent"] == 1

    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT


def test_attachment_is_stored_and_sent_intact(mailoutbox, django_capture_on_commit_callbacks):
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nUID:meeting-12@example.org\r\nEND:VCALENDAR\r\n"
    attachment = Attachment(filename="meeting.ics", content=ics, mimetype="text/calendar")
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(dedupe_key="test:ics", attachments=(attachment,))

    [message] = mailoutbox
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("meeting.ics", "text/calendar")
    # Django hands text/* attachments over decoded.
    assert content == ics.decode()


def test_unsubscribe_url_adds_one_click_headers_and_a_footer_link(mailoutbox, django_capture_on_commit_callbacks):
    url = "http://testserver/updates/unsubscribe/abc123/"
    with django_capture_on_commit_callbacks(execute=True):
        row = send_notice(dedupe_key="digest:2026-11:member:1", kind="digest", list_unsubscribe_url=url)

    assert row.headers == {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    [message] = mailoutbox
    mime = message.message()
    assert mime["List-Unsubscribe"] == f"<{url}>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    assert f'href="{url}"' in _html_part(message)


def test_service_email_has_no_unsubscribe_header_or_link(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(dedupe_key="test:service")

    [message] = mailoutbox
    assert message.message()["List-Unsubscribe"] is None
    assert "Unsubscribe" not in message.body


def test_skip_reason_records_a_skipped_row_that_is_logged_and_never_sent(
    mailoutbox, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="network_portal.outbox.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        row = send_notice(dedupe_key="test:skip", skip_reason="the meeting has already started")

    assert callbacks == []
    assert row.status == OutboxEmail.Status.SKIPPED
    assert "the meeting has already started" in row.last_error
    assert "the meeting has already started" in caplog.text
    assert services.outbox_sweep()["sent"] == 0
    assert services.outbox_retry(email_ids=[row.pk]) == 0
    assert mailoutbox == []


def test_sweep_returns_rows_stuck_in_sending_to_the_queue_and_sends_them(mailoutbox):
    row = send_notice(dedupe_key="test:stuck")
    claimed_at = timezone.now() - services.lease() - timedelta(seconds=1)
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.SENDING, claimed_at=claimed_at, attempts=1)
    recent = send_notice(dedupe_key="test:still-sending")
    OutboxEmail.objects.filter(pk=recent.pk).update(status=OutboxEmail.Status.SENDING, claimed_at=timezone.now())

    counts = services.outbox_sweep()

    assert (counts["reset"], counts["sent"]) == (1, 1)
    row.refresh_from_db()
    recent.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 2)
    assert recent.status == OutboxEmail.Status.SENDING  # a live worker still owns it
    assert [m.extra_headers["X-Outbox-Id"] for m in mailoutbox] == [str(row.pk)]


def test_sweep_fails_a_stuck_row_that_has_used_up_its_attempts(settings, mailoutbox):
    row = send_notice(dedupe_key="test:poison")
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxEmail.Status.SENDING,
        claimed_at=timezone.now() - services.lease() - timedelta(seconds=1),
        attempts=settings.OUTBOX_MAX_ATTEMPTS,
    )

    services.outbox_sweep()

    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED
    assert mailoutbox == []


def test_purge_deletes_only_sent_and_skipped_rows_older_than_the_retention_period(settings):
    now = timezone.now()
    cutoff = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    rows = {name: send_notice(dedupe_key=f"test:purge:{name}") for name in ["old", "recent", "failed", "skip", "new"]}
    Status = OutboxEmail.Status
    OutboxEmail.objects.filter(pk=rows["old"].pk).update(status=Status.SENT, sent_at=cutoff - timedelta(minutes=1))
    OutboxEmail.objects.filter(pk=rows["recent"].pk).update(status=Status.SENT, sent_at=cutoff + timedelta(minutes=1))
    OutboxEmail.objects.filter(pk=rows["failed"].pk).update(status=Status.FAILED, created_at=cutoff - timedelta(days=1))
    OutboxEmail.objects.filter(pk=rows["skip"].pk).update(status=Status.SKIPPED, created_at=cutoff - timedelta(days=1))

    assert services.outbox_purge(now=now) == 2

    remaining = set(OutboxEmail.objects.values_list("dedupe_key", flat=True))
    assert remaining == {"test:purge:recent", "test:purge:failed", "test:purge:new"}


def test_purge_follows_the_retention_setting(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    row = send_notice(dedupe_key="test:purge:setting")
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.SENT, sent_at=timezone.now())

    assert services.outbox_purge(now=timezone.now() + timedelta(days=6)) == 0
    assert services.outbox_purge(now=timezone.now() + timedelta(days=8)) == 1


def test_retry_puts_failed_rows_back_and_they_are_sent(mailoutbox, django_capture_on_commit_callbacks):
    failed = send_notice(dedupe_key="test:retry")
    OutboxEmail.objects.filter(pk=failed.pk).update(status=OutboxEmail.Status.FAILED, attempts=6, last_error="550")
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_notice(dedupe_key="test:retry-sent")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_retry(email_ids=[failed.pk, sent.pk]) == 1

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (OutboxEmail.Status.SENT, 1, "")
    assert len(mailoutbox) == 2


@pytest.fixture
def published(monkeypatch):
    """The id lists handed to the broker, one list per send task."""
    calls = []
    original = outbox_send_task.apply_async

    def record(args=None, **kwargs):
        calls.append(list(args))
        return original(args=args, **kwargs)

    monkeypatch.setattr(outbox_send_task, "apply_async", record)
    return calls


def test_rows_written_in_one_transaction_wake_one_send_task(published, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = [send_notice(dedupe_key=f"test:batch:{n}") for n in range(3)]

    assert len(callbacks) == len(rows)  # one per row, as Django's rules expect
    assert published == [[row.pk for row in rows]]
    assert len(mailoutbox) == len(rows)


def test_a_row_rolled_back_with_its_savepoint_is_not_sent_with_its_batch(
    published, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = send_notice(dedupe_key="test:savepoint:1", to_email="first@example.org")
        with pytest.raises(RuntimeError), transaction.atomic():
            send_notice(dedupe_key="test:savepoint:2", to_email="undone@example.org")
            raise RuntimeError("this booking failed")
        last = send_notice(dedupe_key="test:savepoint:3", to_email="last@example.org")

    assert len(published) == 1
    assert {first.pk, last.pk} <= set(published[0])
    assert sorted(message.to[0] for message in mailoutbox) == ["first@example.org", "last@example.org"]
    assert OutboxEmail.objects.count() == 2


def test_a_large_transaction_is_published_in_batches(published, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    count = services.SEND_BATCH_SIZE * 2 + 1
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = [send_notice(dedupe_key=f"test:large:{n}") for n in range(count)]

    assert [len(ids) for ids in published] == [services.SEND_BATCH_SIZE, services.SEND_BATCH_SIZE, 1]
    assert sum(published, []) == [row.pk for row in rows]
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == count


def test_only_the_rows_of_the_committed_block_are_published(published, django_capture_on_commit_callbacks):
    earlier = send_notice(dedupe_key="test:scope:earlier")  # its callback never runs
    with django_capture_on_commit_callbacks(execute=True):
        first = send_notice(dedupe_key="test:scope:first")
    with django_capture_on_commit_callbacks(execute=True):
        second = send_notice(dedupe_key="test:scope:second")

    assert published == [[first.pk], [second.pk]]
    earlier.refresh_from_db()
    assert earlier.status == OutboxEmail.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_each_committed_transaction_wakes_its_own_send_task(published, mailoutbox):
    with transaction.atomic():
        first = [send_notice(dedupe_key=f"test:tx1:{n}") for n in range(2)]
    with transaction.atomic():
        second = [send_notice(dedupe_key=f"test:tx2:{n}") for n in range(2)]
    outside = send_notice(dedupe_key="test:autocommit")

    assert published == [[row.pk for row in first], [row.pk for row in second], [outside.pk]]
    assert len(mailoutbox) == 5


def test_already_queued_names_the_existing_keys_by_list_by_prefix_and_by_age():
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        send_notice(dedupe_key="test:old:1")
    send_notice(dedupe_key="test:new:1")
    three_days_ago = timezone.now() - timedelta(days=3)

    assert services.already_queued(dedupe_keys=["test:old:1", "test:missing"]) == {"test:old:1"}
    assert services.already_queued(prefix="test:") == {"test:old:1", "test:new:1"}
    assert services.already_queued(prefix="test:", queued_before=three_days_ago + timedelta(hours=1)) == {"test:old:1"}
    assert services.already_queued(prefix="test:", queued_before=three_days_ago - timedelta(hours=1)) == set()


def test_skip_pending_by_key_prefix_stops_only_the_waiting_rows_under_it():
    waiting = send_notice(dedupe_key="reminder:event:1:person:1")
    sent = send_notice(dedupe_key="reminder:event:1:person:2")
    OutboxEmail.objects.filter(pk=sent.pk).update(status=OutboxEmail.Status.SENT, sent_at=timezone.now())
    other = send_notice(dedupe_key="reminder:event:2:person:1")

    assert services.outbox_skip_pending(key_prefixes=["reminder:event:1:"], reason="event moved") == 1
    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses == {
        waiting.pk: OutboxEmail.Status.SKIPPED,
        sent.pk: OutboxEmail.Status.SENT,
        other.pk: OutboxEmail.Status.PENDING,
    }


def test_emails_about_a_person_are_theirs_by_account_address_or_key_prefix():
    user = UserFactory(email="ada@example.org")
    by_account = send_notice(dedupe_key="test:account", user=user, to_email="old@example.org")
    by_address = send_notice(dedupe_key="test:address", to_email="ADA@example.org")
    about_them = send_notice(dedupe_key="staff:member:9:pending", to_email="team@thrive.test")
    send_notice(dedupe_key="staff:member:90:pending", to_email="team@thrive.test")

    rows = services.emails_about(user=user, address=user.email, key_prefixes=["staff:member:9:"])

    assert set(rows) == {by_account, by_address, about_them}
