"""Membership business rules. Every write runs inside transaction.atomic."""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from network_portal import caching
from network_portal.models import OutboxEmail
from network_portal.privacy import ERASED_DOMAIN
from network_portal.services import notify, outbox_skip_pending
from network_portal.signing import make_token

from . import membership_end, privacy
from .consents import SIGNUP_KINDS, WORDINGS
from .models import ConsentRecord, ContactEnquiry, Council, DataExport, Member, Reconfirmation, Topic, User

logger = logging.getLogger(__name__)

CONSENT_FIELDS = {kind: f"consent_{kind}" for kind in WORDINGS}
RECONFIRM_PURPOSE = "members.reconfirm"


class MembershipError(Exception):
    """A request that the rules refuse; the message is safe to show."""


# --- Consents ----------------------------------------------------------------


def consent_set(*, member: Member, kind: str, granted: bool, wording_version: str) -> None:
    """Grant or withdraw one consent, keeping the history row even when the
    value does not change (a re-confirmation under new wording is evidence too)."""
    if kind not in CONSENT_FIELDS:
        raise ValueError(f"Unknown consent kind {kind!r}.")
    field = CONSENT_FIELDS[kind]
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(**{field: granted})
        ConsentRecord.objects.create(
            member=member, kind=kind, granted=granted, wording_version=wording_version, recorded_at=timezone.now()
        )
    setattr(member, field, granted)


# --- Joining and approval ------------------------------------------------------


def member_signup(
    *,
    user: User,
    role: str,
    council: Council,
    ward: str = "",
    job_title: str = "",
    interests=(),
    consents: dict[str, bool],
) -> Member:
    """Create the membership for a new login. It waits, pending, until the
    email address is verified (see member_email_verified)."""
    if role not in (Member.Role.COUNCILLOR, Member.Role.OFFICER):
        raise MembershipError("Only staff can add health and care partners.")
    with transaction.atomic():
        member = Member.objects.create(
            user=user,
            role=role,
            council=council,
            ward=ward if role == Member.Role.COUNCILLOR else "",
            job_title=job_title if role == Member.Role.OFFICER else "",
            status=Member.Status.PENDING,
        )
        member.interests.set(interests)
        for kind in SIGNUP_KINDS:
            consent_set(
                member=member, kind=kind, granted=bool(consents.get(kind)), wording_version=WORDINGS[kind].version
            )
    return member


def member_email_verified(*, user: User, email: str) -> Member | None:
    """After allauth confirms an address: approve at once when it is on the
    chosen council's domain, otherwise tell staff that someone is waiting."""
    with transaction.atomic():
        member = (
            Member.objects.select_for_update(of=("self",)).filter(user=user).select_related("council", "user").first()
        )
        if member is None or member.status != Member.Status.PENDING:
            return member
        if domain_matches(member=member, email=email):
            _set_status(member, Member.Status.APPROVED, reason="")
        else:
            _notify_staff_of_pending(member)
    return member


def domain_matches(*, member: Member, email: str) -> bool:
    if member.role == Member.Role.PARTNER or member.council is None:
        return False
    return email.rpartition("@")[2].lower() in member.council.domain_list


def member_approve(*, member: Member) -> bool:
    """Staff approval. Emails the member. Returns False if already approved."""
    with transaction.atomic():
        member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
        if member.status == Member.Status.APPROVED:
            return False
        _set_status(member, Member.Status.APPROVED, reason="")
        notify(
            template="member-approved",
            to_email=member.user.email,
            kind="member-approved",
            dedupe_key=f"member-approved:member:{member.pk}:{member.status_changed_at.timestamp():.0f}",
            user=member.user,
            context={
                "member": member,
                "reason": "You applied to join the Mentally Healthier Councils Network.",
            },
        )
    return True


def member_reject(*, member: Member, reason: str) -> bool:
    """Staff rejection with a reason the member will read. Returns False if already rejected."""
    reason = reason.strip()
    if not reason:
        raise MembershipError("Give a reason: the member is told why.")
    with transaction.atomic():
        member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
        if member.status == Member.Status.REJECTED:
            return False
        _set_status(member, Member.Status.REJECTED, reason=reason)
        _end_access(member.user, reason="the membership application was not approved")
        notify(
            template="member-rejected",
            to_email=member.user.email,
            kind="member-rejected",
            dedupe_key=f"member-rejected:member:{member.pk}:{member.status_changed_at.timestamp():.0f}",
            user=member.user,
            context={
                "member": member,
                "reason": "You applied to join the Mentally Healthier Councils Network.",
            },
        )
    return True


def _set_status(member: Member, status: str, *, reason: str) -> None:
    member.status = status
    member.status_reason = reason
    member.status_changed_at = timezone.now()
    member.save(update_fields=["status", "status_reason", "status_changed_at"])


def _notify_staff_of_pending(member: Member) -> None:
    # One email per pending member per staff address: the dedupe key makes a
    # second verified address (or a repeated signal) a no-op.
    for staff_email in settings.STAFF_NOTIFY_EMAILS:
        notify(
            template="staff-member-pending",
            to_email=staff_email,
            kind="staff-member-pending",
            # A digest, not the address itself: the key is exported with the member's data.
            dedupe_key=f"{privacy.staff_notice_key_prefix(member.pk)}pending:{_digest(staff_email)}",
            context={
                "member": member,
                "admin_url": reverse("admin:members_member_change", args=[member.pk]),
                "reason": "Your address is listed in STAFF_NOTIFY_EMAILS for new members who need approval.",
            },
        )


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:16]


# --- Profile -------------------------------------------------------------------


def member_profile_update(
    *, member: Member, first_name: str, last_name: str, ward: str = "", job_title: str = "", interests=()
) -> None:
    with transaction.atomic():
        User.objects.filter(pk=member.user_id).update(first_name=first_name.strip(), last_name=last_name.strip())
        member.ward = ward.strip() if member.role == Member.Role.COUNCILLOR else ""
        member.job_title = job_title.strip() if member.role != Member.Role.COUNCILLOR else ""
        member.save(update_fields=["ward", "job_title"])
        member.interests.set(interests)
    member.user.first_name, member.user.last_name = first_name.strip(), last_name.strip()


# --- Privacy rights ------------------------------------------------------------


def member_data_export(*, user: User) -> dict:
    """Everything held about the user, as JSON-ready data. The export is logged."""
    with transaction.atomic():
        data = privacy.export_user(user)
        rows = sum(len(items) for items in data.values())
        log = DataExport.objects.create(user=user, row_count=rows)
    return {
        "exported_at": log.exported_at.isoformat(),
        "site": settings.SITE_URL,
        "about": "Everything the Mentally Healthier Councils Network portal holds about you.",
        "data": data,
    }


def topic_save(*, topic: Topic) -> Topic:
    """Save a topic edited by staff; topics are offered in the filter forms."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        topic.save()
    return topic


def council_save(*, council: Council) -> Council:
    """Save a council edited by staff; its name shows in filter forms and session lists."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        council.save()
    return council


def member_erase(*, user: User) -> dict[str, int]:
    """Delete my account: anonymise every registered personal field, end every
    session and deactivate the login. Rows stay, so counts and anonymous
    feedback survive."""
    with transaction.atomic():
        # The member's registrations and bookings may change, and with them the lists' seat counts.
        caching.bump(caching.MEETING_LIST, caching.TRAINING_LIST)
        user = User.objects.select_for_update().get(pk=user.pk)
        # Before anonymising, so seats are handed on while the bookings are still whole.
        _end_access(user, reason="the member deleted their account")
        touched = privacy.erase_user(user)
        _end_sessions(user.pk)
    logger.info("Erased user %s: %s", user.pk, touched)
    return touched


def _end_sessions(user_id: int) -> None:
    # Sessions are not indexed by user; decoding the live ones is fine at this
    # network's size, and an erasure is rare.
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user_id)
    ]
    Session.objects.filter(pk__in=doomed).delete()


# --- Election cycle ------------------------------------------------------------


def reconfirmation_start(*, councils, now: datetime | None = None) -> int:
    """Ask every approved councillor of these councils whether they still serve.
    Returns how many were asked (anyone already waiting is not asked twice)."""
    now = now or timezone.now()
    deadline = now + timedelta(days=settings.MEMBERS_RECONFIRM_DAYS)
    asked = 0
    with transaction.atomic():
        councillors = (
            Member.objects.approved()
            .active()
            .filter(role=Member.Role.COUNCILLOR, council__in=councils)
            .exclude(reconfirmations__outcome=Reconfirmation.Outcome.WAITING)
            .select_related("user", "council")
        )
        for member in councillors:
            request = Reconfirmation.objects.create(member=member, requested_at=now, deadline=deadline)
            _send_reconfirmation(request)
            asked += 1
    return asked


def _send_reconfirmation(request: Reconfirmation) -> None:
    token = make_token(obj=request, purpose=RECONFIRM_PURPOSE)
    member = request.member
    notify(
        template="member-reconfirm",
        to_email=member.user.email,
        kind="member-reconfirm",
        dedupe_key=f"member-reconfirm:reconfirmation:{request.pk}:member:{member.pk}",
        user=member.user,
        context={
            "member": member,
            "deadline": request.deadline,
            "link": reverse("members:reconfirm", kwargs={"token": token}),
            "reason": f"You are listed as a councillor at {member.council} in the network, "
            "and the council has held elections.",
        },
    )


def reconfirmation_answer(*, reconfirmation: Reconfirmation, still_serving: bool, now: datetime | None = None) -> None:
    """The councillor's reply. Saying they no longer serve makes them alumni."""
    now = now or timezone.now()
    with transaction.atomic():
        request = Reconfirmation.objects.select_for_update().select_related("member").get(pk=reconfirmation.pk)
        if request.outcome != Reconfirmation.Outcome.WAITING:
            raise MembershipError("You have already answered this question. Thank you.")
        if now > request.deadline:
            raise MembershipError("This question has closed. Contact the Thrive LDN team if you still serve.")
        request.outcome = Reconfirmation.Outcome.CONFIRMED if still_serving else Reconfirmation.Outcome.LEFT
        request.answered_at = now
        request.save(update_fields=["outcome", "answered_at"])
        if not still_serving:
            _make_former(request.member)


def reconfirmation_lapse_overdue(*, now: datetime | None = None) -> int:
    """Councillors who did not answer in time become former councillors."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Reconfirmation.objects.select_for_update(of=("self",))
            .filter(outcome=Reconfirmation.Outcome.WAITING, deadline__lt=now)
            .select_related("member")
        )
        for request in overdue:
            request.outcome = Reconfirmation.Outcome.LAPSED
            request.save(update_fields=["outcome"])
            _make_former(request.member)
    return len(overdue)


def _make_former(member: Member) -> None:
    # Only a serving member becomes alumni: a rejected applicant stays rejected.
    if member.status == Member.Status.APPROVED:
        _set_status(member, Member.Status.FORMER, reason="")
        _end_access(member.user, reason="the councillor no longer serves")


# --- Membership end ---------------------------------------------------------------


def user_deactivate(*, user: User) -> bool:
    """Staff switch a login off. Its sessions end, and so does its access:
    future bookings and registrations, scheduled email, the calendar feed.
    Returns False if the login was already inactive."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return False
        User.objects.filter(pk=user.pk).update(is_active=False)
        locked.is_active = False
        _end_access(locked, reason="staff deactivated the account")
        _end_sessions(user.pk)
    user.is_active = False
    return True


def _end_access(user: User, *, reason: str) -> None:
    # Runs in the caller's transaction: the membership change and everything
    # it ends commit together or not at all.
    now = timezone.now()
    outbox_skip_pending(user=user, reason=f"membership ended: {reason}")
    membership_end.run(user=user, now=now)


# --- Contact the team -------------------------------------------------------------


def enquiry_create(*, name: str, email: str, council: Council | None, role: str, message: str) -> ContactEnquiry:
    with transaction.atomic():
        enquiry = ContactEnquiry.objects.create(
            name=name.strip(), email=email.strip(), council=council, role=role, message=message.strip()
        )
        notify(
            template="contact-enquiry",
            to_email=settings.CONTACT_EMAIL,
            kind="contact-enquiry",
            dedupe_key=f"contact-enquiry:contactenquiry:{enquiry.pk}",
            reply_to=enquiry.email,
            context={
                "enquiry": enquiry,
                "admin_url": reverse("admin:members_contactenquiry_change", args=[enquiry.pk]),
                "reason": "Someone used the contact form on the network portal; reply to this email to answer them.",
            },
        )
    return enquiry


def enquiry_mark_answered(*, enquiry_ids, now: datetime | None = None) -> int:
    with transaction.atomic():
        return ContactEnquiry.objects.filter(pk__in=enquiry_ids, status=ContactEnquiry.Status.NEW).update(
            status=ContactEnquiry.Status.ANSWERED, answered_at=now or timezone.now()
        )


# --- Retention (the rules are in privacy.py) ----------------------------------------


def applications_unreviewed_remind(*, created_before: datetime) -> int:
    """Remind staff of verified applications nobody has approved or rejected,
    once per application and staff address. Returns reminders written."""
    written = 0
    with transaction.atomic():
        for member in Member.objects.awaiting_review().filter(created_at__lt=created_before).select_related("user"):
            for staff_email in settings.STAFF_NOTIFY_EMAILS:
                written += (
                    notify(
                        template="staff-member-unreviewed",
                        to_email=staff_email,
                        kind="staff-member-unreviewed",
                        dedupe_key=f"{_unreviewed_reminder_prefix(member.pk)}{_digest(staff_email)}",
                        context={
                            "member": member,
                            "deleted_after_days": settings.RETENTION_UNREVIEWED_DAYS,
                            "admin_url": reverse("admin:members_member_change", args=[member.pk]),
                            "reason": "Your address is listed in STAFF_NOTIFY_EMAILS for new members who need "
                            "approval.",
                        },
                    )
                    is not None
                )
    return written


def applications_unreviewed_delete(*, created_before: datetime, reminded_before: datetime) -> int:
    """Delete verified applications still unreviewed, whose staff reminder went
    out before `reminded_before`, and tell each applicant. Returns accounts deleted."""
    deleted = 0
    candidates = Member.objects.awaiting_review().filter(created_at__lt=created_before, user__is_staff=False)
    for member_id in candidates.values_list("pk", flat=True):
        reminded = OutboxEmail.objects.filter(
            dedupe_key__startswith=_unreviewed_reminder_prefix(member_id), created_at__lt=reminded_before
        )
        with transaction.atomic():
            # The filter again, under the lock: an application approved since is left alone.
            member = candidates.select_for_update(of=("self",)).select_related("user").filter(pk=member_id).first()
            if member is None or not reminded.exists():
                continue
            notify(
                template="member-application-closed",
                to_email=member.user.email,
                kind="member-application-closed",
                dedupe_key=f"member-application-closed:member:{member.pk}",
                context={"member": member, "reason": "You applied to join the Mentally Healthier Councils Network."},
            )
            member.user.delete()
            deleted += 1
    return deleted


def _unreviewed_reminder_prefix(member_id: int) -> str:
    return f"{privacy.staff_notice_key_prefix(member_id)}unreviewed:"


def former_members_erase(*, left_before: datetime) -> int:
    """Erase the accounts of former members who left before `left_before`, as
    "Delete my account" does: figures stay, personal data goes."""
    former = (
        Member.objects.filter(status=Member.Status.FORMER, status_changed_at__lt=left_before, user__is_staff=False)
        .exclude(user__email__endswith=f"@{ERASED_DOMAIN}")
        .select_related("user")
    )
    erased = 0
    for member in former:
        member_erase(user=member.user)
        erased += 1
    return erased
