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
from network_portal.markdown import render_markdown
from network_portal.outbox import OutboxEmail, already_queued, notify, outbox_skip_pending
from network_portal.privacy import ERASED_DOMAIN
from network_portal.signing import make_token
from network_portal.urls_util import absolute_url

from . import audiences, membership_end, privacy
from .consents import SIGNUP_KINDS, WORDINGS
from .models import (
    Appointment,
    ConsentRecord,
    ContactEnquiry,
    Council,
    DataExport,
    Member,
    Message,
    Reconfirmation,
    Topic,
    User,
)

logger = logging.getLogger(__name__)

CONSENT_FIELDS = {kind: f"consent_{kind}" for kind in WORDINGS}
RECONFIRM_PURPOSE = "members.reconfirm"


class MembershipError(Exception):
    """A request that the rules refuse; the message is safe to show."""


# --- The members' directory ------------------------------------------------------


def directory_changed() -> None:
    """Retire the cached directory pages. Saves and deletes of the rows they show
    (members, their logins, appointments, interests, councils, topics) call this
    through members/signals.py; writers that use QuerySet.update(), which sends no
    signal, call it themselves."""
    caching.bump(caching.DIRECTORY)


def login_recorded() -> None:
    """A login's last sign-in was saved: staff's member list shows it."""
    caching.bump(caching.LOGINS)


def login_details_changed() -> None:
    """A login's name or email was saved (the admin, allauth's "make primary"): the directory
    lists names, and meeting pages name actions' owners, by email when they gave no name."""
    directory_changed()
    caching.bump(caching.MEETING_PAGE)


# --- Consents ----------------------------------------------------------------


def consent_set(*, member: Member, kind: str, granted: bool, wording_version: str) -> None:
    """Grant or withdraw one consent, keeping the history row even when the
    value does not change (a re-confirmation under new wording is evidence too)."""
    if kind not in CONSENT_FIELDS:
        raise ValueError(f"Unknown consent kind {kind!r}.")
    field = CONSENT_FIELDS[kind]
    with transaction.atomic():
        # The directory lists by consent_directory; staff's member list counts by every consent.
        directory_changed()
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
        # The address may be new, and names an action's owner who gave no name.
        caching.bump(caching.MEETING_PAGE)
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
        _notify_decision(member, "member-approved")
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
        _notify_decision(member, "member-rejected")
    return True


def _notify_decision(member: Member, kind: str) -> None:
    # The decision's time is in the key: a member approved again after a
    # rejection is told again.
    notify(
        template=kind,
        to_email=member.user.email,
        kind=kind,
        dedupe_key=f"{kind}:member:{member.pk}:{member.status_changed_at.timestamp():.0f}",
        user=member.user,
        context={"member": member, "reason": "You applied to join the Mentally Healthier Councils Network."},
    )


def _set_status(member: Member, status: str, *, reason: str) -> None:
    member.status = status
    member.status_reason = reason
    member.status_changed_at = timezone.now()
    member.save(update_fields=["status", "status_reason", "status_changed_at"])


def _notify_staff_of_pending(member: Member) -> None:
    # One email per pending member per staff address: the dedupe key makes a
    # second verified address (or a repeated signal) a no-op.
    _notify_staff(
        member, kind="staff-member-pending", key_prefix=f"{privacy.staff_notice_key_prefix(member.pk)}pending:"
    )


def _notify_staff(member: Member, *, kind: str, key_prefix: str, context: dict | None = None) -> int:
    """Email every STAFF_NOTIFY_EMAILS address about member, once per address.
    Returns emails written."""
    written = 0
    for staff_email in settings.STAFF_NOTIFY_EMAILS:
        row = notify(
            template=kind,
            to_email=staff_email,
            kind=kind,
            # A digest, not the address itself: the key is exported with the member's data.
            dedupe_key=f"{key_prefix}{_digest(staff_email)}",
            context={
                "member": member,
                "admin_url": reverse("admin:members_member_change", args=[member.pk]),
                "reason": "Your address is listed in STAFF_NOTIFY_EMAILS for new members who need approval.",
                **(context or {}),
            },
        )
        written += row is not None
    return written


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:16]


# --- Profile -------------------------------------------------------------------


def member_profile_update(
    *, member: Member, first_name: str, last_name: str, ward: str = "", job_title: str = "", interests=()
) -> None:
    with transaction.atomic():
        caching.invalidate(caching.TESTIMONIALS)  # they show the author's name
        directory_changed()  # and so does the directory
        caching.bump(caching.MEETING_PAGE)  # and meeting pages the names of actions' owners
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
    """Save a council edited by staff; its name shows in filter forms, session lists and meeting actions."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        council.save()
    # Seat counts feed the cached coverage figures.
    caching.invalidate(caching.COVERAGE)
    return council


def users_delete(*, users) -> int:
    """Staff delete logins (a queryset) in admin. Their meeting registrations go with them,
    changing seat counts, and the meeting actions they owned lose their owner."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST, caching.MEETING_PAGE)
        deleted, _ = users.delete()
    return deleted


def councils_delete(*, councils) -> int:
    """Staff delete councils (a queryset) that nothing protected names: they leave
    the filter forms and lists, and meeting actions lose their council."""
    with transaction.atomic():
        caching.bump(caching.FILTER_CHOICES)
        deleted, _ = councils.delete()
    caching.invalidate(caching.COVERAGE)
    return deleted


def member_erase(*, user: User) -> dict[str, int]:
    """Delete my account: anonymise every registered personal field, end every
    session and deactivate the login. Rows stay, so counts and anonymous
    feedback survive."""
    with transaction.atomic():
        # The member's registrations and bookings may change, and with them the lists' seat counts.
        caching.bump(caching.MEETING_LIST, caching.TRAINING_LIST)
        caching.invalidate(caching.TESTIMONIALS)  # a published testimonial may carry their name
        directory_changed()  # erasure blanks names and deactivates the login by QuerySet.update()
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
        lane=OutboxEmail.Lane.BULK,  # every councillor of a council, after elections
        sensitive=True,  # the signed link answers for the member
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
        directory_changed()  # an inactive login is not listed
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
            written += _notify_staff(
                member,
                kind="staff-member-unreviewed",
                key_prefix=_unreviewed_reminder_prefix(member.pk),
                context={"deleted_after_days": settings.RETENTION_UNREVIEWED_DAYS},
            )
    return written


def applications_unreviewed_delete(*, created_before: datetime, reminded_before: datetime) -> int:
    """Delete verified applications still unreviewed, whose staff reminder went
    out before `reminded_before`, and tell each applicant. Returns accounts deleted."""
    deleted = 0
    candidates = Member.objects.awaiting_review().filter(created_at__lt=created_before, user__is_staff=False)
    for member_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            # The filter again, under the lock: an application approved since is left alone.
            member = candidates.select_for_update(of=("self",)).select_related("user").filter(pk=member_id).first()
            reminded = already_queued(prefix=_unreviewed_reminder_prefix(member_id), queued_before=reminded_before)
            if member is None or not reminded:
                continue
            notify(
                template="member-application-closed",
                to_email=member.user.email,
                kind="member-application-closed",
                dedupe_key=f"member-application-closed:member:{member.pk}",
                context={"member": member, "reason": "You applied to join the Mentally Healthier Councils Network."},
            )
            users_delete(users=User.objects.filter(pk=member.user_id))
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


# --- Messages from staff ---------------------------------------------------------

NEWS_UNSUBSCRIBE_PURPOSE = "members.news-unsubscribe"
# Recipients written to the outbox per transaction: a crash mid-send loses at
# most one chunk's progress, and the dedupe key makes the rerun skip the rest.
MESSAGE_CHUNK = 500


class MessageRefused(Exception):
    """A send the rules do not allow; the message is for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def message_recipients(message: Message):
    """The members this message reaches now: approved, active, in the audience,
    and for news, agreed to partner updates."""
    members = Member.objects.approved().active()
    if message.audience == Message.CHOSEN:
        members = _chosen_members(members, message)
    elif message.audience != Message.EVERYONE:
        audience = audiences.get(message.audience)
        if audience is None or message.audience_object_id is None:
            return Member.objects.none()
        members = members.filter(pk__in=audience.members(message.audience_object_id).values("pk"))
    if message.is_news:
        members = members.filter(consent_digest=True)
    return members


def _chosen_members(members, message: Message):
    councils = list(message.councils.values_list("pk", flat=True))
    if councils:
        members = members.filter(council_id__in=councils)
    if message.roles:
        members = members.filter(role__in=message.roles)
    if message.champions_only:
        current = Appointment.objects.current().filter(role=Appointment.Role.CHAMPION)
        members = members.filter(pk__in=current.values("member_id"))
    return members


def message_audience_label(message: Message) -> str:
    """The audience in words, for the preview and the audit log."""
    if message.audience == Message.EVERYONE:
        label = "everyone approved"
    elif message.audience == Message.CHOSEN:
        parts = [", ".join(c.name for c in message.councils.all()) or "all councils"]
        if message.roles:
            parts.append(", ".join(Member.Role(role).label.lower() + "s" for role in message.roles))
        if message.champions_only:
            parts.append("member champions only")
        label = "approved members: " + "; ".join(parts)
    else:
        audience = audiences.get(message.audience)
        label = audience.describe(message.audience_object_id) if audience else f"unknown audience {message.audience}"
    return f"{label} ({'news, with consent' if message.is_news else 'essential'})"


def message_send(*, message_id: int, sent_by: User, now: datetime | None = None) -> int:
    """Start sending: fix the count, mark the message as sending and hand the
    fan-out to one background task. Returns the recipient count.

    The request never writes the outbox rows itself; message_deliver does."""
    from .tasks import message_deliver_task

    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != Message.Status.DRAFT:
            raise MessageRefused("This message has already been sent.")
        count = message_recipients(message).count()
        if count == 0:
            raise MessageRefused("No one is in this audience, so the message cannot be sent.")
        message.status, message.sent_by = Message.Status.SENDING, sent_by
        message.queued_at, message.recipient_count = now or timezone.now(), count
        message.save(update_fields=["status", "sent_by", "queued_at", "recipient_count"])
        transaction.on_commit(lambda: message_deliver_task.delay(message_id), robust=True)
    return count


def message_deliver(*, message_id: int) -> int:
    """Write one outbox email per recipient, a chunk per transaction. Safe to
    run again: each recipient's dedupe key is written once. Returns rows written."""
    message = Message.objects.get(pk=message_id)
    if message.status != Message.Status.SENDING:
        # A draft was never sent; a sent message is finished, and members who
        # joined the audience since must not get it later from a stray rerun.
        return 0
    body_html = render_markdown(message.body)
    ids = list(message_recipients(message).order_by("pk").values_list("pk", flat=True))
    queued = 0
    for start in range(0, len(ids), MESSAGE_CHUNK):
        queued += _message_deliver_chunk(message, body_html, ids[start : start + MESSAGE_CHUNK])
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).exclude(status=Message.Status.SENT).update(
            status=Message.Status.SENT, sent_at=timezone.now()
        )
    logger.info("Message %s: %s email(s) queued", message.pk, queued)
    return queued


def _message_deliver_chunk(message: Message, body_html: str, member_ids: list[int]) -> int:
    with transaction.atomic():
        # Re-read inside the transaction: a member may have opted out of news
        # or left since the list was read.
        members = message_recipients(message).filter(pk__in=member_ids).select_related("user")
        keys = {member.pk: message_dedupe_key(message, member.user_id) for member in members}
        done = set(OutboxEmail.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
        queued = 0
        for member in members:
            if keys[member.pk] not in done:
                queued += _message_queue(message, body_html, member.user, keys[member.pk], member=member)
    return queued


def message_dedupe_key(message: Message, user_id: int) -> str:
    return f"message:{message.pk}:user:{user_id}"


def message_send_test(*, message: Message, to_user: User) -> None:
    """Email the message to the staff member previewing it. Any number of tests may be sent."""
    with transaction.atomic():
        key = f"message:{message.pk}:test:{to_user.pk}:{timezone.now().timestamp()}"
        _message_queue(message, render_markdown(message.body), to_user, key, test=True)


def _message_queue(message, body_html, user, dedupe_key, *, member=None, test=False) -> int:
    unsubscribe = ""
    if message.is_news and member is not None:
        unsubscribe = news_unsubscribe_url(member=member)
    if message.is_news:
        reason = "You get this email because you agreed to hear news from the network and its partners."
    else:
        reason = "You get this email because it is about something you booked or registered for."
    row = notify(
        template="message",
        to_email=user.email,
        kind="message-test" if test else f"message-{message.kind}",
        dedupe_key=dedupe_key,
        user=user,
        context={"message": message, "body_html": body_html, "test": test, "reason": reason},
        list_unsubscribe_url=unsubscribe,
        # Thousands at once: the bulk lane, so account emails never wait behind them.
        # A test goes to the one member of staff waiting for it.
        lane=OutboxEmail.Lane.ACCOUNT if test else OutboxEmail.Lane.BULK,
    )
    return int(row is not None)


def news_unsubscribe_url(*, member: Member) -> str:
    token = make_token(obj=member, purpose=NEWS_UNSUBSCRIBE_PURPOSE)
    return absolute_url(reverse("members:news-unsubscribe", kwargs={"token": token}))


def member_news_unsubscribe(*, member: Member) -> bool:
    """Withdraw consent to news and partner updates. False if already withdrawn."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if not member.consent_digest:
            return False
        consent_set(member=member, kind="digest", granted=False, wording_version=WORDINGS["digest"].version)
    return True
