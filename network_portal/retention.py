"""The daily retention job (UK GDPR storage limitation).

Each period is a setting (RETENTION_* and OUTBOX_RETENTION_DAYS). A run
deletes or anonymises what has outlived its period and records the counts in
a RetentionRun row and the log."""

import logging
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from members.models import Member
from resources.models import Download
from training.services import bookings_anonymise

from .models import RetentionRun
from .outbox.services import outbox_purge

logger = logging.getLogger(__name__)


def retention_run(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    # Bookings first: an old booking no longer protects an account due for deletion.
    bookings_anonymised = _anonymise_bookings(now)
    counts = {
        "unverified_signups_deleted": _delete_users(_unverified_signups(now)),
        "rejected_applications_deleted": _delete_users(_rejected_applications(now)),
        "outbox_emails_deleted": outbox_purge(now=now),
        "downloads_anonymised": _anonymise_downloads(now),
        "bookings_anonymised": bookings_anonymised,
    }
    with transaction.atomic():
        run = RetentionRun.objects.create(started_at=now, counts=counts)
    logger.info("Retention run: %s", ", ".join(f"{key}={value}" for key, value in counts.items()))
    return run


def _days(name: str) -> timedelta:
    return timedelta(days=getattr(settings, name))


def _unverified_signups(now: datetime):
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(date_joined__lt=now - _days("RETENTION_UNVERIFIED_SIGNUP_DAYS"), is_staff=False)
        .exclude(pk__in=verified)
    )


def _rejected_applications(now: datetime):
    rejected = Member.objects.filter(
        status=Member.Status.REJECTED, status_changed_at__lt=now - _days("RETENTION_REJECTED_DAYS")
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=rejected, is_staff=False)


def _delete_users(users) -> int:
    deleted = 0
    for user_id in users.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                # The filter again, under the lock, so an account verified or
                # re-approved since the query above is left alone.
                user = users.select_for_update().filter(pk=user_id).first()
                if user is not None:
                    user.delete()
                    deleted += 1
        except ProtectedError:
            # Evidence (e.g. a booking) points at the account: keep it for staff to review.
            logger.warning("Retention: user %s kept, other records still refer to it", user_id)
    return deleted


def _anonymise_downloads(now: datetime) -> int:
    with transaction.atomic():
        return Download.objects.filter(
            user__isnull=False, downloaded_at__lt=now - _days("RETENTION_DOWNLOAD_DAYS")
        ).update(user=None)


def _anonymise_bookings(now: datetime) -> int:
    return bookings_anonymise(ended_before=now - _days("RETENTION_BOOKING_DAYS"), now=now)
