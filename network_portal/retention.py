"""The daily retention job (UK GDPR storage limitation).

Each app registers its rules in its `<app>/privacy.py`, beside the personal
data they limit:

    retention_rules.register(RetentionRule(
        key="downloads_anonymised",          # the count's name in RetentionRun.counts
        model="myapp.Download",
        age_field="downloaded_at",
        setting="RETENTION_DOWNLOAD_DAYS",   # the period, in days
        action=ANONYMISE,
        apply=_anonymise_downloads,          # apply(cutoff=, now=) -> rows changed
    ))

A run applies every rule to what has outlived its period and records the
counts in a RetentionRun row and the log."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import RetentionRun
from .registry import Registry

logger = logging.getLogger(__name__)

DELETE = "delete"
ANONYMISE = "anonymise"
# Warns staff (or the person) ahead of a DELETE rule on the same rows.
REMIND = "remind"
# Anonymising first: an old row that no longer names a person (a booking,
# say) no longer protects that person's account from a deletion rule.
# Reminders last, so a reminder written today never counts as an old one.
_ORDER = {ANONYMISE: 0, DELETE: 1, REMIND: 2}


@dataclass(frozen=True, kw_only=True)
class RetentionRule:
    key: str  # the count's name in RetentionRun.counts, e.g. "downloads_anonymised"
    model: str  # "app_label.ModelName" of the rows the rule deletes or anonymises
    age_field: str  # ORM path of the datetime the period is counted from
    setting: str  # name of the setting holding the period in days
    action: str  # DELETE, ANONYMISE or REMIND
    apply: Callable[..., int]  # apply(cutoff=, now=) -> rows deleted or anonymised

    def period(self) -> timedelta:
        return timedelta(days=getattr(settings, self.setting))


retention_rules: Registry[RetentionRule] = Registry("Retention rules", key=lambda rule: rule.key)


def retention_run(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    counts = {}
    for rule in sorted(retention_rules, key=lambda rule: _ORDER[rule.action]):
        counts[rule.key] = rule.apply(cutoff=now - rule.period(), now=now)
    with transaction.atomic():
        run = RetentionRun.objects.create(started_at=now, counts=counts)
    logger.info("Retention run: %s", ", ".join(f"{key}={value}" for key, value in counts.items()))
    return run
