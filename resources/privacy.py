"""Personal data held by the resources app (see network_portal/privacy.py).

Resources, organisations and updates are published material, not
personal data. What links them to a person (who downloaded, who drafted, who
submitted) is personal: erasure cuts that link and keeps the counts."""

from django.db import transaction

from network_portal import caching
from network_portal.privacy import PersonalData, register
from network_portal.retention import ANONYMISE, RetentionRule, retention_rules

from .models import Download

register(PersonalData(model="resources.Organisation", owner=None, kept=("name", "slug", "website")))
register(
    PersonalData(
        model="resources.Resource",
        owner=None,
        kept=(
            "title", "slug", "summary", "body", "kind", "topics", "source", "council", "file", "file_name",
            "file_size", "url", "visibility", "status", "published_at", "created_at", "updated_at", "search_vector",
        ),
    )
)  # fmt: skip
register(
    PersonalData(
        model="resources.Download",
        owner="user",
        personal=("user",),
        kept=("resource", "downloaded_at"),
    )
)
register(
    PersonalData(
        model="resources.Update",
        owner="author",
        personal=("author",),
        kept_while_account="Who drafted a published partner update; erasure cuts the link and keeps the update.",
        kept=(
            "title", "slug", "body", "organisation", "visibility", "status", "published_at", "approved_by",
            "created_at",
        ),
    )
)  # fmt: skip
register(
    PersonalData(
        model="resources.CaseStudy",
        owner="submitter",
        # The account of the work is the council's and stays (it may be published);
        # who wrote it and whether they may be contacted go.
        personal=("submitter", "may_contact"),
        kept_while_account="Who shared a case study and may be contacted about it; erasure cuts both.",
        kept=(
            "title", "council", "topics", "what_we_did", "outcome", "file", "file_name", "file_size", "status",
            "review_note", "reviewed_by", "reviewed_at", "resource", "submitted_at",
        ),
    )
)  # fmt: skip


def _anonymise_downloads(*, cutoff, now) -> int:
    with transaction.atomic():
        caching.bump(caching.MY_RESOURCES)  # they leave their members' lists
        return Download.objects.filter(user__isnull=False, downloaded_at__lt=cutoff).update(user=None)


# The download count stays; who downloaded goes.
retention_rules.register(
    RetentionRule(
        key="downloads_anonymised",
        model="resources.Download",
        age_field="downloaded_at",
        setting="RETENTION_DOWNLOAD_DAYS",
        action=ANONYMISE,
        apply=_anonymise_downloads,
    )
)
