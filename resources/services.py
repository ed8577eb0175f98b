"""Business rules for the resource library, partner updates, the monthly
digest and shared case studies. Every write runs inside transaction.atomic."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, slugify

from members.consents import wording_for
from members.models import Council, Member
from members.services import consent_set
from network_portal import caching, uploads
from network_portal.outbox import OutboxEmail, already_queued, notify
from network_portal.signing import make_token
from network_portal.urls_util import absolute_url

from .models import CaseStudy, Download, Organisation, Resource, Topic, Update, Visibility

logger = logging.getLogger(__name__)

DIGEST_UNSUBSCRIBE_PURPOSE = "digest-unsubscribe"


class ModerationError(Exception):
    """A moderation step that no longer applies (already published or returned)."""


# --- Resources ----------------------------------------------------------------


def organisation_save(*, organisation: Organisation) -> Organisation:
    """Save an organisation edited by staff; sources are offered in the library's filter form."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        organisation.save()
    return organisation


def resource_save(*, resource: Resource, upload=None) -> Resource:
    """Save a resource from admin, with a new file if one was uploaded.

    The upload has been validated by the form and is checked again as it is
    stored. The file it replaces is deleted once the save commits; if the save
    fails, the new file is deleted instead."""
    with uploads.replacing(resource.file, upload, still_used=file_in_use) as checked, transaction.atomic():
        if checked:
            resource.file_name, resource.file_size = checked.display_name, checked.size
            resource.url = ""
        if resource.status == Resource.Status.PUBLISHED and not resource.published_at:
            resource.published_at = timezone.now()
        if not resource.slug:
            resource.slug = _unique_slug(Resource, resource.title)
        # The library's filter form offers the organisations that have resources.
        caching.bump(caching.FILTER_CHOICES)
        resource.save()
    return resource


def resource_delete(*, resources) -> int:
    """Delete resources (a queryset) and, once that commits, their files."""
    caching.bump(caching.FILTER_CHOICES)
    return uploads.delete_with_files(resources, still_used=file_in_use)


def file_in_use(name: str) -> bool:
    """A case study and the resource published from it share one file: it goes only when neither names it."""
    return Resource.objects.filter(file=name).exists() or CaseStudy.objects.filter(file=name).exists()


def resource_publish(*, resource_ids: Iterable[int]) -> int:
    """Publish drafts that have a file or a link. Returns how many changed."""
    now = timezone.now()
    with transaction.atomic():
        drafts = Resource.objects.select_for_update().filter(pk__in=list(resource_ids), status=Resource.Status.DRAFT)
        ready = drafts.exclude(Q(file="") & Q(url="") & ~Q(kind=Resource.Kind.CASE_STUDY))
        undated = ready.filter(published_at__isnull=True).update(status=Resource.Status.PUBLISHED, published_at=now)
        dated = ready.filter(published_at__isnull=False).update(status=Resource.Status.PUBLISHED)
    return undated + dated


def resource_unpublish(*, resource_ids: Iterable[int]) -> int:
    with transaction.atomic():
        return Resource.objects.filter(pk__in=list(resource_ids), status=Resource.Status.PUBLISHED).update(
            status=Resource.Status.DRAFT
        )


def download_record(*, resource: Resource, user) -> Download:
    with transaction.atomic():
        return Download.objects.create(resource=resource, user=user if user.is_authenticated else None)


# --- Partner updates ---------------------------------------------------------


def organisation_for_member(*, member: Member) -> Organisation:
    """The partner's organisation, matched by name; created if it is new to us."""
    name = " ".join(member.organisation.split())
    if not name:
        raise ValueError("This member has no organisation on their profile.")
    with transaction.atomic():
        existing = Organisation.objects.filter(name__iexact=name).first()
        if existing:
            return existing
        return Organisation.objects.create(name=name, slug=_unique_slug(Organisation, name, max_length=100))


def update_submit(*, member: Member, title: str, body: str, visibility: str) -> Update:
    """A partner drafts an update for their organisation; staff approve it later."""
    if member.role != Member.Role.PARTNER or not member.is_approved:
        raise PermissionError("Only approved partner members may draft updates.")
    with transaction.atomic():
        return Update.objects.create(
            title=title,
            slug=_unique_slug(Update, title),
            body=body,
            visibility=visibility,
            organisation=organisation_for_member(member=member),
            author=member.user,
            status=Update.Status.SUBMITTED,
        )


def update_approve(*, update_ids: Iterable[int], staff_user) -> int:
    """Publish submitted updates now. Returns how many were published."""
    with transaction.atomic():
        caching.invalidate(caching.LATEST_UPDATES)
        caching.bump(caching.MY_RESOURCES)  # the author sees it published; a bulk update sends no post_save
        return (
            Update.objects.select_for_update()
            .filter(pk__in=list(update_ids), status=Update.Status.SUBMITTED)
            .update(status=Update.Status.PUBLISHED, published_at=timezone.now(), approved_by=staff_user)
        )


def update_save(*, update: Update) -> Update:
    """Save staff edits to a partner update; the home page may be listing it."""
    with transaction.atomic():
        update.save()
        caching.invalidate(caching.LATEST_UPDATES)
    return update


def update_withdraw(*, update_ids: Iterable[int]) -> int:
    with transaction.atomic():
        caching.invalidate(caching.LATEST_UPDATES)
        caching.bump(caching.MY_RESOURCES)  # the author sees it withdrawn; a bulk update sends no post_save
        return Update.objects.filter(pk__in=list(update_ids)).update(status=Update.Status.WITHDRAWN)


# --- Monthly digest ------------------------------------------------------------


def digest_period(now: datetime) -> tuple[datetime, datetime, str]:
    """The calendar month before `now`, in London time: (start, end, "2026-10")."""
    local = timezone.localtime(now)
    end = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=1)).replace(day=1)
    # Rebuild both from dates so each carries its own GMT/BST offset.
    tz = timezone.get_current_timezone()
    end = timezone.make_aware(datetime(end.year, end.month, 1), tz)
    start = timezone.make_aware(datetime(start.year, start.month, 1), tz)
    return start, end, f"{start:%Y-%m}"


def digest_recipients():
    return Member.objects.approved().filter(consent_digest=True, user__is_active=True).select_related("user")


def digest_send(*, now: datetime | None = None) -> int:
    """Queue last month's digest for every consenting member who has not had it.

    Never sent empty; the dedupe key makes a rerun (or a second worker) harmless."""
    start, end, label = digest_period(now or timezone.now())
    updates = list(Update.objects.published_between(start, end).select_related("organisation").order_by("published_at"))
    if not updates:
        logger.info("No partner updates published in %s: no digest sent.", label)
        return 0
    prefix = f"digest:{label}:member:"
    already = already_queued(prefix=prefix)
    queued = 0
    for member in digest_recipients().order_by("pk").iterator(chunk_size=500):
        key = f"{prefix}{member.pk}"
        if key not in already:
            queued += _digest_queue(member=member, updates=updates, period_start=start, dedupe_key=key)
    return queued


def _digest_queue(*, member: Member, updates: list[Update], period_start: datetime, dedupe_key: str) -> bool:
    with transaction.atomic():
        # The member may have withdrawn consent since the list was read.
        if not Member.objects.select_for_update().filter(pk=member.pk, consent_digest=True).exists():
            return False
        url = digest_unsubscribe_url(member=member)
        row = notify(
            template="digest",
            to_email=member.user.email,
            kind="digest",
            dedupe_key=dedupe_key,
            lane=OutboxEmail.Lane.BULK,
            user=member.user,
            context={
                "member": member,
                "updates": updates,
                "period": period_start,
                "reason": "You get this email because you asked for the monthly partner-updates digest. "
                "You can stop it at any time with the unsubscribe link.",
            },
            # Sets List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) and the footer link.
            list_unsubscribe_url=url,
        )
    return row is not None


def digest_unsubscribe_url(*, member: Member) -> str:
    token = make_token(obj=member, purpose=DIGEST_UNSUBSCRIBE_PURPOSE)
    return absolute_url(reverse("resources:digest-unsubscribe", kwargs={"token": token}))


def digest_unsubscribe(*, member: Member) -> bool:
    """Withdraw digest consent. Returns False if it was already withdrawn."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if not member.consent_digest:
            return False
        consent_set(member=member, kind="digest", granted=False, wording_version=wording_for("digest").version)
    return True


# --- Case studies ----------------------------------------------------------------


def casestudy_submit(
    *,
    user,
    council: Council,
    title: str,
    topics: Iterable[Topic],
    what_we_did: str,
    outcome: str,
    may_contact: bool,
    upload=None,
) -> CaseStudy:
    case_study = CaseStudy(
        submitter=user,
        council=council,
        title=title,
        what_we_did=what_we_did,
        outcome=outcome,
        may_contact=may_contact,
    )
    with uploads.replacing(case_study.file, upload) as checked, transaction.atomic():
        if checked:
            case_study.file_name, case_study.file_size = checked.display_name, checked.size
        case_study.save()
        case_study.topics.set(topics)
    return case_study


def casestudy_delete(*, case_studies) -> int:
    """Delete case studies (a queryset) and, once that commits, any file no resource still offers."""
    return uploads.delete_with_files(case_studies, still_used=file_in_use)


def casestudy_publish(*, case_study_id: int, staff_user) -> Resource:
    """Publish as a members-only Resource credited to the council, and tell the submitter."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        case_study = _lock_for_review(case_study_id)
        resource = Resource.objects.create(
            title=case_study.title,
            slug=_unique_slug(Resource, case_study.title),
            summary=Truncator(" ".join(case_study.what_we_did.split())).chars(280),
            body=f"## What they did\n\n{case_study.what_we_did}\n\n## The outcome\n\n{case_study.outcome}",
            kind=Resource.Kind.CASE_STUDY,
            council=case_study.council,
            file=case_study.file.name,
            file_name=case_study.file_name,
            file_size=case_study.file_size,
            visibility=Visibility.MEMBERS,
            status=Resource.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        resource.topics.set(case_study.topics.all())
        _mark_reviewed(case_study, staff_user, CaseStudy.Status.PUBLISHED, resource=resource)
        _tell_submitter(case_study, "casestudy-published", {"resource": resource})
    return resource


def casestudy_return(*, case_study_id: int, staff_user, note: str) -> CaseStudy:
    note = note.strip()
    if not note:
        raise ModerationError("Write a note saying what to change before returning a case study.")
    with transaction.atomic():
        case_study = _lock_for_review(case_study_id)
        case_study.review_note = note
        _mark_reviewed(case_study, staff_user, CaseStudy.Status.RETURNED)
        _tell_submitter(case_study, "casestudy-returned", {})
    return case_study


def _lock_for_review(case_study_id: int) -> CaseStudy:
    case_study = (
        CaseStudy.objects.select_for_update(of=("self",)).select_related("council", "submitter").get(pk=case_study_id)
    )
    if case_study.status != CaseStudy.Status.SUBMITTED:
        raise ModerationError(f"“{case_study.title}” has already been {case_study.get_status_display().lower()}.")
    return case_study


def _mark_reviewed(case_study: CaseStudy, staff_user, status: str, resource: Resource | None = None) -> None:
    case_study.status = status
    case_study.reviewed_by = staff_user
    case_study.reviewed_at = timezone.now()
    if resource is not None:
        case_study.resource = resource
    case_study.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "resource"])


def _tell_submitter(case_study: CaseStudy, template: str, context: dict) -> None:
    submitter = case_study.submitter
    if submitter is None:  # the account was deleted
        return
    notify(
        template=template,
        to_email=submitter.email,
        kind="casestudy",
        dedupe_key=f"casestudy:{case_study.pk}:{case_study.status}",
        user=submitter,
        context={
            "case_study": case_study,
            "reason": "You get this email because you shared a case study with the network.",
            **context,
        },
    )


def _unique_slug(model, title: str, max_length: int = 200) -> str:
    base = slugify(title)[: max_length - 8].strip("-") or model._meta.model_name
    # /updates/feed/ and /updates/new/ are pages, so an update may not take those slugs.
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | {"feed", "new", "digest"}
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
