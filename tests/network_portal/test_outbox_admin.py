from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from network_portal.models import OutboxEmail
from tests.factories import UserFactory

from .outbox_support import email_templates, fast_passwords, send_notice  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_templates", "fast_passwords")]

CHANGELIST = "admin:network_portal_outboxemail_changelist"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _rows(status: str, count: int, kind: str = "test") -> list[OutboxEmail]:
    rows = [send_notice(dedupe_key=f"{kind}:{status}:{n}", kind=kind) for n in range(count)]
    sent_at = timezone.now() if status == OutboxEmail.Status.SENT else None
    OutboxEmail.objects.filter(pk__in=[row.pk for row in rows]).update(status=status, sent_at=sent_at, last_error="x")
    return rows


def _listed_ids(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def test_outbox_list_filters_by_status_and_by_kind(staff_client):
    failed = _rows(OutboxEmail.Status.FAILED, 2, kind="reminder")
    _rows(OutboxEmail.Status.SENT, 3, kind="reminder")
    digest_failed = _rows(OutboxEmail.Status.FAILED, 1, kind="digest")
    url = reverse(CHANGELIST)

    by_status = staff_client.get(url, {"status__exact": "failed"})
    by_both = staff_client.get(url, {"status__exact": "failed", "kind": "reminder"})

    assert _listed_ids(by_status) == {row.pk for row in failed + digest_failed}
    assert _listed_ids(by_both) == {row.pk for row in failed}
    filter_titles = [spec.title for spec in by_status.context["cl"].filter_specs]
    assert filter_titles == ["status", "kind", "lane"]


def test_retry_action_requeues_only_failed_rows_and_sends_them(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    failed = _rows(OutboxEmail.Status.FAILED, 2)
    sent = _rows(OutboxEmail.Status.SENT, 1, kind="other")
    chosen = [row.pk for row in failed + sent]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(CHANGELIST), {"action": "retry", ACTION_CHECKBOX_NAME: chosen}, follow=True
        )

    messages = [str(message) for message in response.context["messages"]]
    assert "2 failed email(s) queued again." in messages
    assert "1 selected email(s) had not failed and were left as they were." in messages
    statuses = dict(OutboxEmail.objects.filter(pk__in=chosen).values_list("pk", "status"))
    assert statuses == {pk: OutboxEmail.Status.SENT for pk in chosen}
    assert sorted(int(m.extra_headers["X-Outbox-Id"]) for m in mailoutbox) == sorted(r.pk for r in failed)


def test_admin_index_shows_failed_and_pending_counts_linking_to_the_filtered_list(staff_client):
    failed = _rows(OutboxEmail.Status.FAILED, 3)
    pending = _rows(OutboxEmail.Status.PENDING, 2, kind="pending")
    _rows(OutboxEmail.Status.SENT, 4, kind="sent")

    response = staff_client.get(reverse("admin:index"))

    attention = {item["label"]: item for item in response.context["attention"]}
    assert attention["Emails that failed to send"]["count"] == len(failed)
    assert attention["Emails waiting to send"]["count"] == len(pending)
    assert attention["Emails that failed to send"]["url"] == f"{reverse(CHANGELIST)}?status__exact=failed"
    assert attention["Emails delayed beyond their lease"]["count"] == 0
    content = response.content.decode()
    assert f'<a href="{reverse(CHANGELIST)}?status__exact=failed">Emails that failed to send</a>' in content


def test_outbox_cannot_be_added_by_hand_and_is_hidden_from_non_staff(staff_client, client):
    assert staff_client.get(reverse("admin:network_portal_outboxemail_add")).status_code == 403
    staff_client.logout()
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("rows", [5, 60])
def test_outbox_list_query_count_does_not_grow_with_rows(staff_client, rows, django_assert_max_num_queries):
    _rows(OutboxEmail.Status.FAILED, rows)

    # Session, user, two counts, the page, two for the date hierarchy, one for the kind filter.
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert len(_listed_ids(response)) == min(rows, 100)
    assert "body_html" in response.context["cl"].result_list[0].get_deferred_fields()


def test_staff_can_read_one_email_in_full(staff_client):
    row = send_notice(dedupe_key="test:detail")

    response = staff_client.get(row.get_absolute_url())

    assert response.status_code == 200
    assert row.subject in response.content.decode()
    assert row.dedupe_key in response.content.decode()


def test_admin_index_shows_emails_delayed_beyond_the_lease_and_the_oldest_pending_age(staff_client, settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    now = timezone.now()
    late = _rows(OutboxEmail.Status.PENDING, 2, kind="late")
    OutboxEmail.objects.filter(pk__in=[r.pk for r in late]).update(not_before=now - timedelta(minutes=10))
    crashed = _rows(OutboxEmail.Status.SENDING, 1, kind="crashed")
    OutboxEmail.objects.filter(pk__in=[r.pk for r in crashed]).update(
        claimed_at=now - timedelta(minutes=3), lease_expires_at=now - timedelta(minutes=2), not_before=now
    )
    fresh = _rows(OutboxEmail.Status.PENDING, 1, kind="fresh")
    OutboxEmail.objects.filter(pk__in=[r.pk for r in fresh]).update(not_before=now - timedelta(seconds=5))

    with time_machine.travel(now, tick=False):
        response = staff_client.get(reverse("admin:index"))

    attention = {item["label"]: item["count"] for item in response.context["attention"]}
    assert attention["Emails delayed beyond their lease"] == len(late) + len(crashed)
    assert attention["Emails waiting to send"] == len(late) + len(fresh)
    assert attention["Oldest email waiting to send"] == "10 min"
