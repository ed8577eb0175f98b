"""The daily retention job: each period from settings, each run logged with counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Member, User
from network_portal import tasks
from network_portal.models import OutboxEmail, RetentionRun
from network_portal.retention import retention_rules, retention_run
from resources.models import Download
from tests.factories import MemberFactory, UserFactory
from tests.resources.factories import ResourceFactory
from tests.training.factories import BookingFactory, past_session

pytestmark = pytest.mark.django_db


def _ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_unverified_signups_are_deleted_after_the_period(settings, london_councils):
    days = settings.RETENTION_UNVERIFIED_SIGNUP_DAYS
    stale = MemberFactory(user=UserFactory(verified=False, date_joined=_ago(days + 1)))
    fresh = MemberFactory(user=UserFactory(verified=False, date_joined=_ago(days - 1)))
    verified_long_ago = MemberFactory(user=UserFactory(date_joined=_ago(days * 10)))
    staff = UserFactory(verified=False, is_staff=True, date_joined=_ago(days + 1))
    run = retention_run()
    assert not User.objects.filter(pk=stale.user_id).exists()
    assert not Member.objects.filter(pk=stale.pk).exists()
    assert set(User.objects.values_list("pk", flat=True)) == {fresh.user_id, verified_long_ago.user_id, staff.pk}
    assert run.counts["unverified_signups_deleted"] == 1


def test_rejected_applications_are_deleted_after_the_period(settings, london_councils):
    days = settings.RETENTION_REJECTED_DAYS
    old = MemberFactory(status=Member.Status.REJECTED, status_changed_at=_ago(days + 1))
    recent = MemberFactory(status=Member.Status.REJECTED, status_changed_at=_ago(days - 1))
    approved = MemberFactory(status=Member.Status.APPROVED, status_changed_at=_ago(days * 5))
    run = retention_run()
    assert set(Member.objects.values_list("pk", flat=True)) == {recent.pk, approved.pk}
    assert not User.objects.filter(pk=old.user_id).exists()
    assert run.counts["rejected_applications_deleted"] == 1


def test_sent_outbox_rows_are_deleted_after_the_period_and_pending_ones_kept(settings):
    days = settings.OUTBOX_RETENTION_DAYS

    def row(key, status, age):
        sent_at = _ago(age) if status == OutboxEmail.Status.SENT else None
        return OutboxEmail.objects.create(
            to_email="a@example.org", subject="s", body_text="b", kind="test", dedupe_key=key,
            status=status, sent_at=sent_at, created_at=_ago(age),
        )  # fmt: skip

    old_sent = row("old", OutboxEmail.Status.SENT, days + 1)
    new_sent = row("new", OutboxEmail.Status.SENT, days - 1)
    old_pending = row("pending", OutboxEmail.Status.PENDING, days + 1)
    run = retention_run()
    assert set(OutboxEmail.objects.values_list("pk", flat=True)) == {new_sent.pk, old_pending.pk}
    assert not OutboxEmail.objects.filter(pk=old_sent.pk).exists()
    assert run.counts["outbox_emails_deleted"] == 1


def test_download_logs_are_anonymised_after_the_period_but_still_counted(settings, london_councils):
    days = settings.RETENTION_DOWNLOAD_DAYS
    resource = ResourceFactory()
    member = MemberFactory()
    old = Download.objects.create(resource=resource, user=member.user, downloaded_at=_ago(days + 1))
    recent = Download.objects.create(resource=resource, user=member.user, downloaded_at=_ago(days - 1))
    run = retention_run()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.user is None
    assert recent.user == member.user
    assert resource.downloads.count() == 2
    assert run.counts["downloads_anonymised"] == 1


def test_bookings_are_anonymised_two_years_after_the_session(settings, london_councils):
    days = settings.RETENTION_BOOKING_DAYS
    staff = UserFactory(is_staff=True)
    old = BookingFactory(session=past_session(days_ago=days + 2), booked_by=staff, attended="yes")
    recent = BookingFactory(session=past_session(days_ago=days - 2), booked_by=staff)
    council_id, role = old.member.council_id, old.member.role
    run = retention_run()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.member, old.booked_by) == (None, None)
    assert old.anonymised_at == run.started_at
    # What the evidence needs stays: the council and role from booking time, and attendance.
    assert (old.council_id, old.role, old.attended) == (council_id, role, "yes")
    assert (recent.member is not None, recent.booked_by, recent.anonymised_at) == (True, staff, None)
    assert run.counts["bookings_anonymised"] == 1
    # Already anonymised bookings are not counted again.
    assert retention_run().counts["bookings_anonymised"] == 0


def test_an_old_booking_no_longer_keeps_a_rejected_account_from_deletion(settings, london_councils):
    member = MemberFactory(status=Member.Status.REJECTED, status_changed_at=_ago(settings.RETENTION_REJECTED_DAYS + 1))
    booking = BookingFactory(session=past_session(days_ago=settings.RETENTION_BOOKING_DAYS + 2), member=member)
    run = retention_run()
    assert not Member.objects.filter(pk=member.pk).exists()
    booking.refresh_from_db()
    assert booking.member is None
    assert (run.counts["bookings_anonymised"], run.counts["rejected_applications_deleted"]) == (1, 1)


def test_each_run_is_recorded_with_its_counts_and_logged(caplog, settings, london_councils):
    MemberFactory(user=UserFactory(verified=False, date_joined=_ago(settings.RETENTION_UNVERIFIED_SIGNUP_DAYS + 1)))
    with caplog.at_level("INFO", logger="network_portal.retention"):
        tasks.retention_run.delay()
    run = RetentionRun.objects.get()
    # Every registered rule reports, the ones added since included (tests/security/test_retention_rules.py).
    assert run.counts == {
        **{rule.key: 0 for rule in retention_rules},
        "unverified_signups_deleted": 1,
        "rejected_applications_deleted": 0,
        "outbox_emails_deleted": 0,
        "downloads_anonymised": 0,
        "bookings_anonymised": 0,
    }
    assert len(run.counts) == len(retention_rules) >= 5
    assert "unverified_signups_deleted=1" in caplog.text
    # A second run finds nothing left to do.
    assert sum(retention_run().counts.values()) == 0


def test_retention_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["retention-run"]
    assert entry["task"] == tasks.retention_run.name
    schedule = entry["schedule"]
    # Once a day, every day.
    assert len(schedule.hour) == len(schedule.minute) == 1
    assert schedule.day_of_month == set(range(1, 32)) and schedule.day_of_week == set(range(7))
