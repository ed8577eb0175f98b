from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from members.models import ConsentRecord, Member
from network_portal import schedules
from network_portal.models import OutboxEmail
from network_portal.signing import make_token
from resources import services
from resources.models import Update, Visibility
from tests.factories import MemberFactory

from .factories import UpdateFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Run on 1 November 2026: the digest covers October 2026.
RUN_AT = datetime(2026, 11, 1, 8, 30, tzinfo=LONDON)
IN_OCTOBER = datetime(2026, 10, 15, 12, 0, tzinfo=LONDON)


@pytest.fixture
def october_updates():
    return [
        UpdateFactory(title="Open October news", published_at=IN_OCTOBER),
        UpdateFactory(title="Members October news", visibility=Visibility.MEMBERS, published_at=IN_OCTOBER),
    ]


def subscriber(**kwargs) -> Member:
    return MemberFactory(consent_digest=True, **kwargs)


def test_digest_goes_to_consenting_approved_members_with_last_months_updates(
    october_updates, mailoutbox, django_capture_on_commit_callbacks
):
    yes = subscriber()
    MemberFactory(consent_digest=False)
    subscriber(status=Member.Status.PENDING)
    UpdateFactory(title="September news", published_at=datetime(2026, 9, 30, 23, 0, tzinfo=LONDON))
    UpdateFactory(title="November news", published_at=datetime(2026, 11, 1, 0, 30, tzinfo=LONDON))
    UpdateFactory(title="Still waiting", status=Update.Status.SUBMITTED, published_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send(now=RUN_AT) == 1

    assert [m.to for m in mailoutbox] == [[yes.user.email]]
    message = mailoutbox[0]
    assert message.subject == "Partner updates for October 2026: Mentally Healthier Councils Network"
    assert "Open October news" in message.body and "Members October news" in message.body
    assert "September news" not in message.body and "November news" not in message.body
    assert OutboxEmail.objects.get().dedupe_key == f"digest:2026-10:member:{yes.pk}"


def test_digest_carries_one_click_unsubscribe_headers(october_updates, mailoutbox, django_capture_on_commit_callbacks):
    member = subscriber()

    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send(now=RUN_AT)

    message = mailoutbox[0]
    url = services.digest_unsubscribe_url(member=member)
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    assert url.replace("&", "&amp;") in message.alternatives[0].content


def test_digest_is_sent_once_per_member_per_month(october_updates, mailoutbox, django_capture_on_commit_callbacks):
    subscriber()
    subscriber()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.digest_send(now=RUN_AT)
        second = services.digest_send(now=RUN_AT.replace(day=2))
        third = services.digest_send(now=RUN_AT.replace(day=3, hour=23))

    assert (first, second, third) == (2, 0, 0)
    assert len(mailoutbox) == 2
    assert OutboxEmail.objects.filter(kind="digest").count() == 2


def test_no_digest_when_nothing_was_published_last_month(mailoutbox):
    subscriber()
    UpdateFactory(published_at=datetime(2026, 9, 15, tzinfo=LONDON))

    assert services.digest_send(now=RUN_AT) == 0
    assert not OutboxEmail.objects.exists()


def test_members_who_withdrew_consent_are_skipped(october_updates, mailoutbox, django_capture_on_commit_callbacks):
    stays, leaves = subscriber(), subscriber()
    services.digest_unsubscribe(member=leaves)

    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send(now=RUN_AT)

    assert [m.to for m in mailoutbox] == [[stays.user.email]]


def test_one_click_unsubscribe_post_withdraws_consent_with_a_history_row(client):
    member = subscriber()
    url = services.digest_unsubscribe_url(member=member).removeprefix("http://testserver")

    # What a mail client sends for RFC 8058 one-click: a POST with no CSRF token.
    client.handler.enforce_csrf_checks = True
    response = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.consent_digest is False
    record = ConsentRecord.objects.get(member=member, kind="digest")
    assert record.granted is False and record.wording_version


def test_unsubscribe_link_opened_in_a_browser_asks_before_changing_anything(client):
    member = subscriber()
    url = services.digest_unsubscribe_url(member=member).removeprefix("http://testserver")

    response = client.get(url)

    assert response.status_code == 200
    assert "Unsubscribe" in response.content.decode()
    member.refresh_from_db()
    assert member.consent_digest is True


@pytest.mark.parametrize("purpose", ["wrong-purpose", None])
def test_tampered_or_wrong_purpose_unsubscribe_link_gives_the_invalid_link_page(client, purpose):
    member = subscriber()
    token = make_token(obj=member, purpose=purpose) if purpose else "not-a-token"

    response = client.post(reverse("resources:digest-unsubscribe", kwargs={"token": token}))

    assert response.status_code == 400
    member.refresh_from_db()
    assert member.consent_digest is True


def test_digest_period_is_the_previous_london_calendar_month():
    start, end, label = services.digest_period(datetime(2026, 4, 1, 0, 30, tzinfo=LONDON))

    assert label == "2026-03"
    assert start == datetime(2026, 3, 1, tzinfo=LONDON)
    assert end == datetime(2026, 4, 1, tzinfo=LONDON)
    assert end.utcoffset() != start.utcoffset()  # BST began in between


def test_digest_is_a_scheduled_email_sent_by_the_scan_in_the_first_days_of_the_month(
    october_updates, mailoutbox, django_capture_on_commit_callbacks, settings
):
    member = subscriber()
    [digest] = [schedule for schedule in schedules.registered() if schedule.name == "resources-monthly-digest"]
    assert "resources-monthly-digest" not in settings.CELERY_BEAT_SCHEDULE  # no beat entry of its own

    before_due = schedules.scheduled_email_scan(now=RUN_AT.replace(hour=8, minute=0), schedules=[digest])
    with django_capture_on_commit_callbacks(execute=True):
        on_day_three = schedules.scheduled_email_scan(now=RUN_AT.replace(day=3, hour=20), schedules=[digest])
        rescan = schedules.scheduled_email_scan(now=RUN_AT.replace(day=3, hour=21), schedules=[digest])

    assert (before_due, on_day_three, rescan) == (0, 1, 0)
    assert [m.to for m in mailoutbox] == [[member.user.email]]
    assert OutboxEmail.objects.get().dedupe_key == f"digest:2026-10:member:{member.pk}"


def test_digest_missed_for_more_than_three_days_waits_for_next_month(october_updates, mailoutbox):
    subscriber()
    [digest] = [schedule for schedule in schedules.registered() if schedule.name == "resources-monthly-digest"]

    assert schedules.scheduled_email_scan(now=RUN_AT.replace(day=4, hour=9), schedules=[digest]) == 0
    assert not OutboxEmail.objects.exists()
