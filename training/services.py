"""Training business rules: booking, the waiting list, attendance, feedback
and follow-ups. Every write runs inside transaction.atomic, and every change
to a session's bookings holds that session's row lock, so seat counts are
read and written by one transaction at a time."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from members.models import Appointment, Member
from network_portal import audit, caching, event_changes, ics, queues, uploads
from network_portal.outbox import Attachment, notify
from network_portal.signing import InvalidLink, make_token, read_token
from network_portal.urls_util import absolute_url

from . import research, research_package
from .models import (
    FEEDBACK_ANSWERS,
    FOLLOWUP_ANSWERS,
    Booking,
    Commitment,
    Course,
    Feedback,
    FollowUp,
    ResearchExportLog,
    Session,
    audiences_admitting,
    duration_label,
)

logger = logging.getLogger(__name__)

FEEDBACK_PURPOSE = "training-feedback"
# Certificate codes never expire: a certificate records a past fact, and a
# council may check it years later. The code names a booking, and the
# verification page re-reads that booking, so a certificate stops verifying as
# soon as the attendance is withdrawn or the record is anonymised or erased.
CERTIFICATE_PURPOSE = "training-certificate"
FOLLOWUP_OFFSETS = {
    FollowUp.Wave.THREE_MONTHS: relativedelta(months=3),
    FollowUp.Wave.SIX_MONTHS: relativedelta(months=6),
}
# Fields a member answers; anything else in the answers mapping is ignored.
FEEDBACK_FIELDS = FEEDBACK_ANSWERS
FOLLOWUP_FIELDS = FOLLOWUP_ANSWERS


class Refused(Exception):
    """A request the rules do not allow. The message is plain English, for the member."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class BookingRefused(Refused):
    pass


class FeedbackRefused(Refused):
    pass


# --- Booking ---------------------------------------------------------------


def booking_create(
    *,
    member: Member,
    session: Session,
    booked_by=None,
    audience_override_reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """Confirm a seat, or join the waiting list when the session is full.
    A member outside the course's audience is refused, unless staff book on
    their behalf (booked_by) and give a reason, which is recorded."""
    audience_override_reason = audience_override_reason.strip()
    with transaction.atomic():
        caching.bump(caching.TRAINING_LIST)
        locked = _lock_session(session.pk)
        # Read the clock only once the lock is held, so created_at follows the
        # order in which bookings really took their turn: that order is the queue.
        now = now or timezone.now()
        _check_can_book(member=member, session=locked, now=now)
        if locked.course.admits(member.role):
            audience_override_reason = ""
        elif booked_by is None or not audience_override_reason:
            raise BookingRefused(_audience_refusal(member, locked, now, staff=booked_by is not None), code="audience")
        confirmed = locked.bookings.confirmed().count()
        status = Booking.Status.CONFIRMED if confirmed < locked.capacity else Booking.Status.WAITLISTED
        try:
            # A savepoint, so the constraint backstop leaves the outer transaction usable.
            with transaction.atomic():
                booking = Booking.of_member(
                    session=locked,
                    member=member,
                    status=status,
                    created_at=now,
                    booked_by=booked_by,
                    audience_override_reason=audience_override_reason,
                )
                booking.save(force_insert=True)
        except IntegrityError as exc:
            raise BookingRefused(_ALREADY_BOOKED, code="already-booked") from exc
        if status == Booking.Status.CONFIRMED:
            _email_confirmed(booking, template="training-booking-confirmed", kind="training-confirmation")
        else:
            _email_waitlisted(booking)
    return booking


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> list[Booking]:
    """Cancel a booking. A freed seat goes to the first person waiting, who is
    emailed. Returns the bookings promoted."""
    with transaction.atomic():
        caching.bump(caching.TRAINING_LIST)
        # Session first, then booking: the same lock order as booking_create.
        session = _lock_session(booking.session_id)
        now = now or timezone.now()
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status in Booking.CANCELLED_STATUSES:
            raise BookingRefused("This booking is already cancelled.", code="already-cancelled")
        if session.starts_at <= now:
            raise BookingRefused(
                "This session has already started, so the booking can no longer be cancelled. "
                "If you could not attend, you do not need to do anything.",
                code="started",
            )
        was_confirmed = locked.status == Booking.Status.CONFIRMED
        locked.status = Booking.Status.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        promoted = _promote_waiting(session, now) if was_confirmed else []
    booking.status, booking.cancelled_at = locked.status, locked.cancelled_at
    return promoted


def bookings_end_for_user(*, user, now: datetime) -> int:
    """The person's membership ended: cancel their bookings on sessions still
    to come, each freed seat going to the first person waiting (who is
    emailed). Attended and past bookings stay for the figures. Returns how many
    bookings were cancelled."""
    with transaction.atomic():
        # Session order, so two of these never wait on each other's locks.
        upcoming = list(
            Booking.objects.active().filter(member__user=user, session__starts_at__gt=now).order_by("session_id")
        )
        for booking in upcoming:
            booking_cancel(booking=booking, now=now)
    return len(upcoming)


def course_save(*, course: Course) -> Course:
    """Save a course edited by staff; its title shows in every session list."""
    with transaction.atomic():
        caching.bump(caching.TRAINING_LIST)
        course.save()
    return course


def session_save(*, session: Session, now: datetime | None = None) -> list[Booking]:
    """Save a session edited by staff. A change of time, place, mode or joining
    link bumps the calendar SEQUENCE and emails everyone booked or waiting an
    updated calendar file; new seats go to the waiting list, first come first
    served. Returns the bookings promoted. A past or cancelled session's time
    and place cannot change (ChangeRefused, nothing saved, nobody emailed)."""
    with transaction.atomic():
        caching.bump(caching.TRAINING_LIST)
        # Status, council and times all feed the coverage map.
        caching.invalidate(caching.COVERAGE)
        if session.pk is None:
            session.save()
            return []
        before = _lock_session(session.pk)
        now = now or timezone.now()
        changed = session_change_check(session=session, before=before, now=now)
        session.sequence, session.rescheduled_at = before.sequence, before.rescheduled_at
        if changed:
            session.sequence, session.rescheduled_at = before.sequence + 1, now
        session.save()
        if changed and session.status != Session.Status.DRAFT:
            _tell_everyone_booked(session, changed=event_changes.field_labels(Session, changed))
        return _promote_waiting(session, now)


def session_change_check(*, session: Session, before: Session | None = None, now: datetime | None = None) -> list[str]:
    """The CHANGE_FIELDS staff changed on this edited (unsaved) session.
    Raises ChangeRefused when the change is not allowed."""
    before = before or Session.objects.select_related("course", "council").get(pk=session.pk)
    changed = event_changes.changed_fields(before, session, Session.CHANGE_FIELDS)
    if changed:
        event_changes.change_refusal(
            title=str(before),
            cancelled=before.status == Session.Status.CANCELLED,
            ended=before.ends_at <= (now or timezone.now()),
            cancelling=False,
        )
    if session.status == Session.Status.CANCELLED and before.status != Session.Status.CANCELLED:
        raise event_changes.ChangeRefused("Cancel a session with the “Cancel” action, so everyone booked is told.")
    return changed


def session_cancel(*, session_id: int, reason: str, now: datetime | None = None) -> int:
    """Cancel a session for everyone: bookings become "cancelled by the
    organiser" and each person booked or waiting gets one email, with the
    reason and a calendar file that removes the entry. Returns emails queued."""
    reason = reason.strip()
    with transaction.atomic():
        caching.bump(caching.TRAINING_LIST)
        session = _lock_session(session_id)
        now = now or timezone.now()
        event_changes.change_refusal(
            title=str(session),
            cancelled=session.status == Session.Status.CANCELLED,
            ended=session.ends_at <= now,
            cancelling=True,
        )
        caching.invalidate(caching.COVERAGE)
        people = list(session.bookings.active().select_related("member__user").order_by("pk"))
        session.status = Session.Status.CANCELLED
        session.cancellation_reason = reason
        session.sequence += 1
        session.save(update_fields=["status", "cancellation_reason", "sequence"])
        session.bookings.filter(pk__in=[b.pk for b in people]).update(
            status=Booking.Status.ORGANISER_CANCELLED, cancelled_at=now
        )
        caching.bump(caching.MY_TRAINING)  # a bulk update sends no post_save
        return _tell_everyone_booked(session, changed=[], bookings=people)


def _attendee(session: Session, booking: Booking, *, cancelled: bool) -> event_changes.Attendee:
    # Statuses as they were before a cancellation: it decides who had the joining link.
    was_waiting = booking.status == Booking.Status.WAITLISTED
    joining = not was_waiting and not cancelled
    return event_changes.Attendee(
        user=booking.member.user,
        key=f"booking:{booking.pk}",
        context={"booking": booking, "was_waiting": was_waiting, "show_joining_link": joining and session.is_online},
        calendar_event=session_calendar_event(session, with_joining_link=joining),
    )


def _tell_everyone_booked(session: Session, *, changed: list[str], bookings=None) -> int:
    cancelled = session.status == Session.Status.CANCELLED
    if bookings is None:
        bookings = session.bookings.active().select_related("member__user").order_by("pk")
    people = [_attendee(session, booking, cancelled=cancelled) for booking in bookings if booking.member_id]
    return event_changes.change_announce(
        event=session,
        people=people,
        kind_prefix="training-session",
        cancelled=cancelled,
        reminder_key_prefix=f"training-reminder:session:{session.pk}:",
        filename=f"training-session-{session.pk}.ics",
        context={
            "session": session,
            "course": session.course,
            "changed": changed,
            "session_url": reverse("training:session-detail", kwargs={"pk": session.pk}),
            "reason": "You get this email because you booked, or joined the waiting list for, this training session.",
        },
    )


def booking_mark_attendance(*, booking_ids: Iterable[int], attended: str, now: datetime | None = None) -> int:
    """Record attended (yes) or no-show (no) for confirmed bookings of sessions
    that have started. Returns how many bookings were updated."""
    if attended not in (Booking.Attended.YES, Booking.Attended.NO, Booking.Attended.UNKNOWN):
        raise ValueError(f"Unknown attendance value {attended!r}.")
    now = now or timezone.now()
    with transaction.atomic():
        caching.invalidate(caching.COVERAGE)
        caching.bump(caching.MY_TRAINING)  # a bulk update sends no post_save
        return (
            Booking.objects.confirmed()
            .filter(pk__in=list(booking_ids), session__starts_at__lte=now)
            .update(attended=attended)
        )


def booking_add_walk_in(*, member: Member, session: Session, booked_by=None, now: datetime | None = None) -> Booking:
    """Record an approved member who came without a confirmed place as attended
    (the door register's walk-in). They are in the room, so capacity does not
    apply, and no email is sent; a waiting-list booking is confirmed instead of
    a second one being made."""
    with transaction.atomic():
        locked = _lock_session(session.pk)
        now = now or timezone.now()
        if member.status != Member.Status.APPROVED or not member.user.is_active:
            raise BookingRefused(f"{member} is not an approved member, so cannot be added.", code="not-approved")
        if locked.status == Session.Status.CANCELLED:
            raise BookingRefused("This session was cancelled.", code="cancelled")
        if locked.starts_at > now:
            raise BookingRefused(ATTENDANCE_NOT_OPEN, code="not-started")
        booking = locked.bookings.active().for_member(member).select_for_update().first()
        if booking is not None and booking.status == Booking.Status.CONFIRMED:
            raise BookingRefused(f"{member} is already on the register.", code="already-booked")
        if booking is None:
            booking = Booking(
                session=locked, member=member, council_id=member.council_id, role=member.role, created_at=now,
                booked_by=booked_by,
            )  # fmt: skip
        else:
            booking.promoted_at = now
        booking.status, booking.attended = Booking.Status.CONFIRMED, Booking.Attended.YES
        booking.save()
        caching.bump(caching.TRAINING_LIST)  # the session's seat counts
        caching.invalidate(caching.COVERAGE)
    return booking


ATTENDANCE_NOT_OPEN = "Attendance can be recorded once the session has started."


def bookings_anonymise(*, ended_before: datetime, now: datetime | None = None) -> int:
    """Empty who attended and who booked on bookings of sessions that ended
    before `ended_before`. Returns how many bookings were anonymised.

    The council and role snapshots stay, and one booking per person stands in
    for them in "people trained", so no figure changes."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(anonymised_at__isnull=True, session__ends_at__lt=ended_before)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        stand_ins = _trainee_stand_ins(due)
        _supersede_earlier_feedback(due)
        Booking.objects.filter(pk__in=due).update(
            member=None, booked_by=None, audience_override_reason="", anonymised_at=now
        )
        Booking.objects.filter(pk__in=stand_ins).update(counted_as_trainee=True)
        caching.invalidate(caching.COVERAGE, caching.HEADLINE)
        caching.bump(caching.MY_TRAINING)  # the bookings leave their member's list
    return len(due)


def _supersede_earlier_feedback(due: list[int]) -> None:
    # The headline counts each trainee's latest rating. Once the member links
    # go, only this flag can tell an earlier rating from the latest one, so it
    # is set for every feedback of these people but their latest.
    members = Booking.objects.filter(pk__in=due, member__isnull=False).values("member_id")
    of_these_people = Feedback.objects.filter(booking__member_id__in=members)
    latest = of_these_people.latest_per_trainee().values("pk")
    of_these_people.exclude(pk__in=latest).update(superseded=True)


def _trainee_stand_ins(due: list[int]) -> list[int]:
    # A person is counted through their member link while any attended booking
    # (for that council and role) keeps it; only when the last one goes does
    # one anonymised booking take over the count.
    attended = Booking.objects.attended().filter(member__isnull=False)
    first: dict[tuple, int] = {}
    for pk, *key in attended.filter(pk__in=due).order_by("pk").values_list("pk", "member_id", "council_id", "role"):
        first.setdefault(tuple(key), pk)
    staying = set(
        attended.exclude(pk__in=due)
        .filter(member_id__in={member_id for member_id, _, _ in first})
        .values_list("member_id", "council_id", "role")
    )
    return [pk for key, pk in first.items() if key not in staying]


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first person waiting; None when the booking is not waiting."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    return queues.place(Booking.objects.waitlisted(), booking, queue="session_id")


def waitlist_position_annotation() -> Case:
    """waitlist_position() of every row of a booking queryset, in the same query."""
    return queues.place_annotation(
        Booking.objects.waitlisted(), queue="session_id", waiting_status=Booking.Status.WAITLISTED
    )


def _lock_session(session_id: int) -> Session:
    # of=("self",) locks the session row only, not the course or council rows it joins.
    return Session.objects.select_for_update(of=("self",)).select_related("course", "council").get(pk=session_id)


_ALREADY_BOOKED = "You have already booked a place on this session."


def _audience_refusal(member: Member, session: Session, now: datetime, *, staff: bool) -> str:
    course = session.course
    message = f"{course.title} is for {course.get_audience_display().lower()} only"
    message += f", and {'this member is' if staff else 'you are'} {_role_phrase(member)}."
    if staff:
        return message + " To book them anyway, give a reason: it is recorded with the booking."
    fitting = courses_for_role(member.role, now=now)
    if fitting:
        titles = ", ".join(c.title for c in fitting)
        return message + f" Courses open to you: {titles}."
    return message + " There are no upcoming courses for your role yet: the Thrive LDN team can tell you more."


def _role_phrase(member: Member) -> str:
    label = member.get_role_display().lower()
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def courses_for_role(role: str, *, now: datetime | None = None) -> list[Course]:
    """Courses whose audience includes this role and that have a session open for booking."""
    upcoming = Session.objects.filter(status=Session.Status.PUBLISHED, starts_at__gt=now or timezone.now())
    return list(
        Course.objects.filter(audience__in=audiences_admitting(role), sessions__in=upcoming)
        .distinct()
        .order_by("title")
    )


def _check_can_book(*, member: Member, session: Session, now: datetime) -> None:
    if member.status != Member.Status.APPROVED:
        raise BookingRefused(
            "Only approved network members can book training, and your membership is "
            f"{member.get_status_display().lower()}.",
            code="not-approved",
        )
    if session.status == Session.Status.CANCELLED:
        raise BookingRefused("This session has been cancelled.", code="cancelled")
    if session.status != Session.Status.PUBLISHED:
        raise BookingRefused("This session is not open for booking.", code="not-open")
    if session.starts_at <= now:
        raise BookingRefused("This session has already started or taken place.", code="past")
    if now > session.bookings_close_at:
        deadline = date_format(timezone.localtime(session.bookings_close_at), "j F Y, H:i")
        raise BookingRefused(f"Bookings for this session closed on {deadline}.", code="deadline")
    existing = session.bookings.active().for_member(member).first()
    if existing is not None and existing.status == Booking.Status.WAITLISTED:
        raise BookingRefused("You are already on the waiting list for this session.", code="already-waitlisted")
    if existing is not None:
        raise BookingRefused(_ALREADY_BOOKED, code="already-booked")


def _promote_waiting(session: Session, now: datetime) -> list[Booking]:
    """Fill free seats from the waiting list. The caller holds the session lock."""
    if session.status == Session.Status.CANCELLED or session.starts_at <= now:
        return []
    free = session.capacity - session.bookings.confirmed().count()
    if free <= 0:
        return []
    promoted = list(session.bookings.waitlisted().in_queue_order().select_related("member__user")[:free])
    for booking in promoted:
        booking.status = Booking.Status.CONFIRMED
        booking.promoted_at = now
        booking.save(update_fields=["status", "promoted_at"])
        booking.session = session
        _email_confirmed(booking, template="training-booking-promoted", kind="training-promoted")
    if promoted:
        logger.info("Promoted %s booking(s) from the waiting list of session %s", len(promoted), session.pk)
    return promoted


# --- Feedback and follow-ups ------------------------------------------------


def feedback_submit(*, booking: Booking, answers: Mapping[str, object], now: datetime | None = None) -> Feedback:
    """Record the one feedback form for an attended booking."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        feedback_check(locked)
        if Feedback.objects.filter(booking=locked).exists():
            raise FeedbackRefused("You have already given feedback on this session. Thank you.", code="duplicate")
        feedback = Feedback(booking=locked, submitted_at=now or timezone.now(), **_pick(answers, FEEDBACK_FIELDS))
        feedback.full_clean(exclude=["booking"])
        feedback.save()
        caching.invalidate(caching.HEADLINE)
    return feedback


def followup_submit(
    *, booking: Booking, wave: str, answers: Mapping[str, object], now: datetime | None = None
) -> FollowUp:
    """Record the 3- or 6-month follow-up for an attended booking."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("session").get(pk=booking.pk)
        followup_check(locked, wave, now=now)
        if FollowUp.objects.filter(booking=locked, wave=wave).exists():
            raise FeedbackRefused("You have already answered this follow-up. Thank you.", code="duplicate")
        followup = FollowUp(booking=locked, wave=wave, submitted_at=now, **_pick(answers, FOLLOWUP_FIELDS))
        if not followup.influenced_policy:
            followup.policy_area = ""
        followup.full_clean(exclude=["booking"])
        followup.save()
    return followup


def followup_opens_at(session: Session, wave: str) -> datetime:
    return session.ends_at + FOLLOWUP_OFFSETS[FollowUp.Wave(wave)]


def feedback_token(booking: Booking) -> str:
    return make_token(obj=booking, purpose=FEEDBACK_PURPOSE)


def followup_token(booking: Booking, wave: str) -> str:
    return make_token(obj=booking, purpose=followup_purpose(wave))


def followup_purpose(wave: str) -> str:
    return f"training-followup-{wave}"


def followup_check(booking: Booking, wave: str, *, now: datetime | None = None) -> None:
    """Raise FeedbackRefused unless this follow-up may be answered now."""
    feedback_check(booking)
    opens_at = followup_opens_at(booking.session, wave)
    if (now or timezone.now()) < opens_at:
        day = date_format(timezone.localtime(opens_at), "j F Y")
        raise FeedbackRefused(f"This follow-up opens on {day}.", code="too-early")


def feedback_check(booking: Booking) -> None:
    """Raise FeedbackRefused unless the booking was attended."""
    if booking.status != Booking.Status.CONFIRMED or booking.attended != Booking.Attended.YES:
        raise FeedbackRefused(
            "Feedback can only be given for a session you attended. If you did attend, "
            f"contact the Thrive LDN team at {settings.CONTACT_EMAIL}.",
            code="not-attended",
        )


def _pick(answers: Mapping[str, object], fields: tuple[str, ...]) -> dict:
    return {name: answers[name] for name in fields if name in answers}


# --- Certificates of attendance --------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """Everything a certificate states, and so everything its verification page shows."""

    name: str
    course: str
    starts_at: datetime
    duration: str
    trainer: str
    verify_url: str


def certificate_for(booking: Booking) -> Certificate:
    """The certificate for an attended booking; FeedbackRefused otherwise."""
    member = booking.member
    if booking.status != Booking.Status.CONFIRMED or booking.attended != Booking.Attended.YES or member is None:
        raise FeedbackRefused(
            "A certificate of attendance is given only for a session you attended. If you did attend, "
            f"contact the Thrive LDN team at {settings.CONTACT_EMAIL}.",
            code="not-attended",
        )
    session = booking.session
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    token = make_token(obj=booking, purpose=CERTIFICATE_PURPOSE)
    return Certificate(
        name=str(member.user),
        course=session.course.title,
        starts_at=session.starts_at,
        duration=duration_label(minutes),
        trainer=session.course.trainer,
        verify_url=absolute_url(reverse("training:certificate-verify", kwargs={"token": token})),
    )


def certificate_verify(token: str) -> Certificate:
    """The certificate a code names, or InvalidLink: a tampered code, or one
    whose attendance no longer stands (withdrawn, anonymised, account erased)."""
    bookings = Booking.objects.select_related("session__course", "member__user")
    booking = read_token(token, purpose=CERTIFICATE_PURPOSE, queryset=bookings, max_age=None)
    if booking.member is None or not booking.member.user.is_active:
        raise InvalidLink
    try:
        return certificate_for(booking)
    except FeedbackRefused as exc:
        raise InvalidLink from exc


# --- Research export ------------------------------------------------------


def research_export_log(*, user, kind: str, row_count: int, project=None, filters: str = "") -> ResearchExportLog:
    with transaction.atomic():
        return ResearchExportLog.objects.create(
            user=user, kind=kind, row_count=row_count, project=project, filters=filters
        )


def research_package_download(*, project, course: str, year: str, audit_facts: dict) -> bytes:
    """Build the project's data package and record the download (log row and audit event)."""
    release = research.release_build(project=project, course=course, year=year)
    content = research_package.package_bytes(release)
    filters = ", ".join(f"{key}={value}" for key, value in release.filters.items()) or "no filters"
    with transaction.atomic():
        ResearchExportLog.objects.create(
            user=audit_facts["actor"],
            kind=ResearchExportLog.Kind.PACKAGE,
            row_count=len(release.rows),
            project=project,
            filters=filters,
        )
        audit.audit_record(
            action=audit.Action.RESEARCH_EXPORT,
            row_count=len(release.rows),
            detail=f"Research package for {project} ({filters})",
            **audit_facts,
        )
    return content


# --- Council commitments ------------------------------------------------------


class CommitmentRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def commitment_reporter_source(*, member: Member | None, council) -> str | None:
    """Commitment.Source for a member reporting for this council, or None if they may not."""
    if member is None or not member.is_approved:
        return None
    roles = set(Appointment.objects.current().filter(member=member, council=council).values_list("role", flat=True))
    if Appointment.Role.CHAMPION in roles:
        return Commitment.Source.CHAMPION
    if Appointment.Role.LEAD_OFFICER in roles:
        return Commitment.Source.LEAD_OFFICER
    return None


def commitment_report(*, member: Member, council, answers: Mapping[str, object], upload=None) -> Commitment:
    """A champion or lead officer reports a commitment for their own council; staff verify it later."""
    source = commitment_reporter_source(member=member, council=council)
    if source is None:
        raise CommitmentRefused(
            f"Only {council}'s member champions and lead officer can report its commitments. "
            "If that is you, ask Thrive LDN staff to record your role."
        )
    commitment = Commitment(
        council=council,
        source=source,
        reported_by=member.user,
        **{name: answers.get(name, "") for name in ("kind", "service_area", "summary", "happened_on")},
        evidence_url=answers.get("evidence_url") or "",
    )
    if commitment.kind != Commitment.Kind.POLICY_CHANGE:
        commitment.service_area = ""
    return _commitment_write(commitment, upload=upload)


def commitment_save(*, commitment: Commitment, upload=None) -> Commitment:
    """Save an entry from admin, with a new evidence document if one was uploaded.

    The document it replaces is deleted once the save commits; if the save
    fails, the new document is deleted instead."""
    return _commitment_write(commitment, upload=upload)


def commitment_delete(*, commitments) -> int:
    """Delete entries (a queryset) and, once that commits, their evidence documents."""
    with transaction.atomic():
        caching.invalidate(caching.COVERAGE)
        return uploads.delete_with_files(commitments, still_used=_evidence_in_use, field="evidence_file")


def _evidence_in_use(name: str) -> bool:
    return Commitment.objects.filter(evidence_file=name).exists()


def _commitment_write(commitment: Commitment, *, upload) -> Commitment:
    with (
        uploads.replacing(commitment.evidence_file, upload, still_used=_evidence_in_use) as checked,
        transaction.atomic(),
    ):
        if checked:
            commitment.evidence_file_name = checked.display_name
        commitment.full_clean()
        commitment.save()
        if commitment.status == Commitment.Status.VERIFIED:
            caching.invalidate(caching.COVERAGE)
    return commitment


def commitment_verify(*, commitment_ids: Iterable[int], verified_by, now: datetime | None = None) -> int:
    """Staff confirm reported entries against their evidence; verified ones go public."""
    with transaction.atomic():
        caching.invalidate(caching.COVERAGE)
        return Commitment.objects.filter(pk__in=list(commitment_ids), status=Commitment.Status.REPORTED).update(
            status=Commitment.Status.VERIFIED, verified_by=verified_by, verified_at=now or timezone.now()
        )


# --- Email ----------------------------------------------------------------


def booking_email_context(booking: Booking, *, reason: str) -> dict:
    session = booking.session
    return {
        "booking": booking,
        "session": session,
        "course": session.course,
        "member": booking.member,
        "reason": reason,
        "session_url": reverse("training:session-detail", kwargs={"pk": session.pk}),
        "show_joining_link": booking.status == Booking.Status.CONFIRMED and session.is_online,
    }


def session_calendar_event(session: Session, *, with_joining_link: bool) -> ics.CalendarEvent:
    location = session.joining_url if session.is_online and with_joining_link else session.venue
    if session.is_online and not with_joining_link:
        location = "Online (the joining link is sent to booked members)"
    return ics.CalendarEvent(
        uid=ics.event_uid("training-session", session.pk),
        sequence=session.sequence,
        start=session.starts_at,
        end=session.ends_at,
        summary=f"{session.course.title} ({session.place_label})",
        location=location,
        description=session.course.summary,
        url=absolute_url(session.get_absolute_url()),
        cancelled=session.status == Session.Status.CANCELLED,
    )


def _email_confirmed(booking: Booking, *, template: str, kind: str) -> None:
    user = booking.member.user
    event = session_calendar_event(booking.session, with_joining_link=True)
    attachment = Attachment(
        filename=f"training-session-{booking.session_id}.ics",
        content=ics.calendar_for([event]),
        mimetype="text/calendar",
    )
    reason = (
        "You get this email because a place on this training session was booked for you."
        if kind == "training-confirmation"
        else "You get this email because you joined the waiting list for this training session."
    )
    notify(
        template=template,
        to_email=user.email,
        kind=kind,
        dedupe_key=f"{kind}:booking:{booking.pk}",
        context=booking_email_context(booking, reason=reason),
        user=user,
        attachments=(attachment,),
    )


def _email_waitlisted(booking: Booking) -> None:
    user = booking.member.user
    context = booking_email_context(
        booking, reason="You get this email because you asked to join the waiting list for this training session."
    )
    context["position"] = waitlist_position(booking)
    notify(
        template="training-booking-waitlisted",
        to_email=user.email,
        kind="training-waitlisted",
        dedupe_key=f"training-waitlisted:booking:{booking.pk}",
        context=context,
        user=user,
    )


def feedback_set_testimonial_hidden(*, feedback_ids: Iterable[int], hidden: bool) -> int:
    """Staff moderation: an approved testimonial can still be held back later."""
    with transaction.atomic():
        caching.invalidate(caching.TESTIMONIALS)
        return Feedback.objects.filter(pk__in=list(feedback_ids)).update(testimonial_hidden=hidden)


def testimonial_approve(*, feedback_ids: Iterable[int], approved_by, now: datetime | None = None) -> int:
    """Staff approve testimonials for public pages, recording who and when.

    Only testimonials the member still offers are approved: one withdrawn, or
    written without consent to publish, stays private whatever is selected."""
    with transaction.atomic():
        caching.invalidate(caching.TESTIMONIALS)
        caching.bump(caching.MY_TRAINING)  # the author sees it is published
        return (
            Feedback.objects.offered_testimonials()
            .filter(pk__in=list(feedback_ids), testimonial_approved_at__isnull=True)
            .update(testimonial_approved_at=now or timezone.now(), testimonial_approved_by=approved_by)
        )


def testimonial_withdraw(*, feedback: Feedback, now: datetime | None = None) -> None:
    """The member takes their testimonial off the site, approved or not, at any time."""
    with transaction.atomic():
        caching.invalidate(caching.TESTIMONIALS)
        caching.bump(caching.MY_TRAINING)  # the withdraw button goes
        Feedback.objects.filter(pk=feedback.pk).update(
            testimonial_consent=Feedback.TestimonialConsent.DO_NOT_PUBLISH,
            testimonial_approved_at=None,
            testimonial_approved_by=None,
            testimonial_withdrawn_at=now or timezone.now(),
        )
