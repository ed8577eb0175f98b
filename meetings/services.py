"""Business rules for quarterly network meetings.

Capacity rule: every change to who holds an in-person seat locks the meeting
row first (select_for_update), then counts, then writes. Emails are outbox rows
written in the same transaction, so they go out only if the change commits.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from members.access import is_approved_member
from network_portal import caching, event_changes, queues, uploads
from network_portal.ics import LONDON
from network_portal.outbox import Attachment, OutboxEmail, notify
from network_portal.schedules import time_left_phrase
from network_portal.signing import make_token
from network_portal.urls_util import absolute_url

from .calendar import meeting_event, registration_ics
from .models import Action, CalendarFeed, Feedback, Meeting, Paper, Registration, new_feed_token

FEEDBACK_PURPOSE = "meeting-feedback"
# Thirteen weeks keeps the copy on the same weekday, which is how the network books its rooms.
NEXT_QUARTER = timedelta(weeks=13)
# Slugs that would shadow other routes under /meetings/.
RESERVED_SLUGS = {"feedback"}


class MeetingError(Exception):
    """A change staff asked for that the rules do not allow; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RegistrationRefused(Exception):
    def __init__(self, message: str, *, in_person_full: bool = False):
        super().__init__(message)
        self.message = message
        # True when the member may still join the waiting list (or come online).
        self.in_person_full = in_person_full


class FeedbackRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Meetings (staff) ---------------------------------------------------------


def meeting_save(*, meeting: Meeting) -> Meeting:
    """Save staff edits. A new time or place bumps the ICS SEQUENCE and, for a
    published meeting, sends registrants a change notice with the updated ICS."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        caching.invalidate(caching.NEXT_MEETINGS)
        if not meeting.slug:
            meeting.slug = _unique_slug(meeting)
        if meeting.slug in RESERVED_SLUGS:
            raise MeetingError(f"The web address “{meeting.slug}” is reserved: choose another.")
        if meeting.pk is None:
            meeting.save()
            return meeting
        before = Meeting.objects.select_for_update().get(pk=meeting.pk)
        changed = meeting_change_check(meeting=meeting, before=before)
        meeting.sequence = before.sequence + 1 if changed else before.sequence
        meeting.rescheduled_at = timezone.now() if changed else before.rescheduled_at
        meeting.status = before.status  # status moves only through publish and cancel
        meeting.save()
        if changed and meeting.status == Meeting.Status.PUBLISHED:
            _tell_everyone_registered(meeting, changed=event_changes.field_labels(Meeting, changed))
        if meeting.status == Meeting.Status.PUBLISHED:
            _fill_in_person_seats(meeting)
    return meeting


def meeting_delete(*, meetings) -> int:
    """Delete meetings (a queryset) with their papers and, once that commits, the papers' files."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        uploads.delete_with_files(Paper.objects.filter(meeting__in=meetings), still_used=_paper_file_in_use)
        _, per_model = meetings.delete()
    return per_model.get(Meeting._meta.label, 0)


def paper_save(*, paper: Paper, upload=None) -> Paper:
    """Save a paper from admin, with a new file if one was uploaded.

    The file it replaces is deleted once the save commits; if the save fails,
    the new file is deleted instead."""
    with uploads.replacing(paper.file, upload) as checked, transaction.atomic():
        caching.bump(caching.MEETING_PAGE)
        if checked:
            paper.file_name, paper.size = checked.display_name, checked.size
        paper.save()
    return paper


def paper_delete(*, paper: Paper) -> None:
    with transaction.atomic():
        caching.bump(caching.MEETING_PAGE)
        uploads.delete_with_files(Paper.objects.filter(pk=paper.pk), still_used=_paper_file_in_use)


def action_save(*, action: Action) -> Action:
    """Save an action from admin: meeting pages list it, and carry it forward while open."""
    with transaction.atomic():
        caching.bump(caching.MEETING_PAGE)
        action.save()
    return action


def actions_delete(*, actions) -> int:
    """Delete actions (a queryset)."""
    with transaction.atomic():
        caching.bump(caching.MEETING_PAGE)
        deleted, _ = actions.delete()
    return deleted


def _paper_file_in_use(name: str) -> bool:
    return Paper.objects.filter(file=name).exists()


def meeting_change_check(*, meeting: Meeting, before: Meeting | None = None) -> list[str]:
    """The time and place fields staff changed on this edited (unsaved) meeting.
    Raises ChangeRefused for a change to a past or cancelled meeting."""
    before = before or Meeting.objects.get(pk=meeting.pk)
    changed = event_changes.changed_fields(before, meeting, Meeting.TIME_AND_PLACE_FIELDS)
    if changed and before.status != Meeting.Status.DRAFT:
        event_changes.change_refusal(
            title=before.title, cancelled=before.is_cancelled, ended=before.has_ended, cancelling=False
        )
    return changed


def meeting_publish(*, meeting_id: int) -> bool:
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if meeting.status != Meeting.Status.DRAFT:
            return False
        if meeting.has_in_person and not meeting.venue_name:
            raise MeetingError(f"{meeting.title}: add the venue before publishing an in-person or hybrid meeting.")
        meeting.status = Meeting.Status.PUBLISHED
        meeting.save(update_fields=["status", "updated_at"])
        caching.invalidate(caching.NEXT_MEETINGS)
    return True


def meeting_cancel(*, meeting_id: int, reason: str = "") -> int:
    """Cancel the meeting and tell everyone registered or waiting; their
    registrations become "cancelled by the organiser". Returns notices queued.
    Cancelling a cancelled or past meeting raises ChangeRefused."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        event_changes.change_refusal(
            title=meeting.title, cancelled=meeting.is_cancelled, ended=meeting.has_ended, cancelling=True
        )
        people = list(meeting.registrations.active().select_related("user").order_by("pk"))
        meeting.status = Meeting.Status.CANCELLED
        meeting.cancellation_reason = reason.strip()
        meeting.sequence += 1
        meeting.save(update_fields=["status", "cancellation_reason", "sequence", "updated_at"])
        caching.invalidate(caching.NEXT_MEETINGS)
        meeting.registrations.filter(pk__in=[r.pk for r in people]).update(
            status=Registration.Status.ORGANISER_CANCELLED, cancelled_at=timezone.now()
        )
        caching.bump(caching.MY_MEETINGS)  # a bulk update sends no post_save
        return _tell_everyone_registered(meeting, changed=[], registrations=people)


def meeting_duplicate_next_quarter(*, meeting_id: int) -> Meeting:
    """Copy a meeting 13 weeks on, at the same London wall-clock time, as a draft.

    Registrations, papers, actions, minutes and the joining link are not copied:
    each meeting gets its own."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        source = Meeting.objects.get(pk=meeting_id)
        copy = Meeting(
            title=source.title,
            starts_at=_same_wall_clock_later(source.starts_at, NEXT_QUARTER),
            ends_at=_same_wall_clock_later(source.ends_at, NEXT_QUARTER),
            registration_closes_at=(
                _same_wall_clock_later(source.registration_closes_at, NEXT_QUARTER)
                if source.registration_closes_at
                else None
            ),
            format=source.format,
            venue_name=source.venue_name,
            venue_address=source.venue_address,
            chair=source.chair,
            summary=source.summary,
            agenda=source.agenda,
            in_person_capacity=source.in_person_capacity,
            status=Meeting.Status.DRAFT,
        )
        copy.slug = _unique_slug(copy)
        copy.save()
    return copy


def meeting_minutes_publish(*, meeting_id: int) -> int:
    """Publish minutes and email them, with the actions, to everyone who registered."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if meeting.minutes_published:
            return 0
        if meeting.status != Meeting.Status.PUBLISHED or not meeting.has_ended:
            raise MeetingError(f"{meeting.title}: minutes can be published only after a meeting has taken place.")
        if not meeting.minutes.strip():
            raise MeetingError(f"{meeting.title}: write the minutes before publishing them.")
        meeting.minutes_published_at = timezone.now()
        meeting.save(update_fields=["minutes_published_at", "updated_at"])
        actions = list(meeting.actions.select_related("owner", "council"))
        sent = 0
        for registration in meeting.registrations.registered().select_related("user"):
            sent += _notify_registration(
                registration,
                template="meeting-minutes",
                kind="meeting-minutes",
                key=f"meeting-minutes:meeting:{meeting.pk}:member:{registration.user_id}",
                reason="You registered for this meeting.",
                context={"actions": actions},
            )
    return sent


# --- Registrations (members) --------------------------------------------------


def registration_create(
    *, meeting_id: int, user, mode: str, waitlist_ok: bool = False, access_needs: str = ""
) -> Registration:
    """Register an approved member. A full in-person list refuses unless the
    member chose the waiting list (waitlist_ok), so they can pick online instead."""
    if not is_approved_member(user):
        raise RegistrationRefused("Only approved members of the network can register for meetings.")
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        _check_open(meeting, mode)
        existing = meeting.registrations.active().filter(user=user).first()
        if existing:
            raise RegistrationRefused(_already_message(existing))
        status = Registration.Status.REGISTERED
        if mode == Registration.Mode.IN_PERSON and _seats_left(meeting) == 0:
            if not waitlist_ok:
                online = " or register to attend online" if meeting.has_online else ""
                raise RegistrationRefused(
                    f"All in-person places are taken. You can join the in-person waiting list{online}.",
                    in_person_full=True,
                )
            status = Registration.Status.WAITLISTED
        registration = Registration.objects.create(
            meeting=meeting, user=user, mode=mode, status=status, access_needs=access_needs.strip()
        )
        _send_registration_email(registration)
    return registration


def registration_cancel(*, registration_id: int) -> Registration:
    """Cancel a registration; a freed in-person seat goes to the first on the waiting list."""
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)
        meeting_id = Registration.objects.values_list("meeting_id", flat=True).get(pk=registration_id)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        registration = Registration.objects.select_related("user").get(pk=registration_id)
        if registration.status == Registration.Status.CANCELLED:
            raise RegistrationRefused("This registration was already cancelled.")
        if meeting.starts_at <= timezone.now():
            raise RegistrationRefused("This meeting has already started, so the registration cannot be cancelled.")
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        if meeting.status == Meeting.Status.PUBLISHED:
            _fill_in_person_seats(meeting)
    return registration


def registration_mark_attendance(*, registration_ids, attendance: str) -> int:
    if attendance not in Registration.Attendance.values:
        raise ValueError(f"Unknown attendance value {attendance!r}")
    with transaction.atomic():
        return Registration.objects.registered().filter(pk__in=registration_ids).update(attendance=attendance)


def registration_add_walk_in(*, meeting_id: int, user, now=None) -> Registration:
    """Record an approved member who came without registering as attended (the
    door register's walk-in). They are in the room, so seat limits do not apply
    and nothing is emailed; a waiting-list registration is moved onto the list."""
    if not is_approved_member(user) or getattr(user, "member", None) is None:
        raise RegistrationRefused(f"{user} is not an approved member, so cannot be added.")
    with transaction.atomic():
        caching.bump(caching.MEETING_LIST)  # the meeting's seat counts
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        now = now or timezone.now()
        if meeting.status != Meeting.Status.PUBLISHED:
            raise RegistrationRefused("Walk-ins can be added only to a published meeting that is going ahead.")
        if timezone.localdate(meeting.starts_at) > timezone.localdate(now):
            raise RegistrationRefused("Walk-ins can be added from the day of the meeting.")
        registration = meeting.registrations.active().select_for_update().filter(user=user).first()
        if registration is not None and registration.is_registered:
            raise RegistrationRefused(f"{user} is already on the register.")
        if registration is None:
            mode = Registration.Mode.IN_PERSON if meeting.has_in_person else Registration.Mode.ONLINE
            registration = Registration(meeting=meeting, user=user, mode=mode, created_at=now)
        registration.status = Registration.Status.REGISTERED
        registration.attendance = Registration.Attendance.ATTENDED
        registration.save()
    return registration


def registration_waitlist_position(*, registration: Registration) -> int | None:
    if not registration.is_waitlisted:
        return None
    return queues.place(Registration.objects.waitlisted(), registration, queue="meeting_id")


def registration_waitlist_position_annotation() -> Case:
    """registration_waitlist_position() of every row of a registration queryset, in the same query."""
    return queues.place_annotation(
        Registration.objects.waitlisted(), queue="meeting_id", waiting_status=Registration.Status.WAITLISTED
    )


def registrations_end_for_user(*, user, now) -> int:
    """The person's membership ended: cancel their registrations for meetings
    still to come (each freed seat goes to the waiting list, who are emailed)
    and revoke their calendar feed. Past registrations stay for the figures.
    Returns how many registrations were cancelled."""
    with transaction.atomic():
        upcoming = list(
            Registration.objects.active()
            .filter(user=user, meeting__starts_at__gt=now)
            .order_by("meeting_id")
            .values_list("pk", flat=True)
        )
        for registration_id in upcoming:
            registration_cancel(registration_id=registration_id)
        CalendarFeed.objects.filter(user=user).delete()
    return len(upcoming)


# --- Feedback -----------------------------------------------------------------


def feedback_link(registration: Registration) -> str:
    token = make_token(obj=registration, purpose=FEEDBACK_PURPOSE)
    return absolute_url(reverse("meetings:feedback", kwargs={"token": token}))


def feedback_submit(
    *, registration_id: int, usefulness: int, topics_next_time: str = "", comments: str = ""
) -> Feedback:
    registration = Registration.objects.select_related("meeting").get(pk=registration_id)
    if not registration.is_registered:
        raise FeedbackRefused("This registration was cancelled, so there is no feedback to give.")
    if registration.meeting.starts_at > timezone.now():
        raise FeedbackRefused("Feedback opens once the meeting has taken place.")
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                registration=registration,
                usefulness=usefulness,
                topics_next_time=topics_next_time.strip(),
                comments=comments.strip(),
            )
    except IntegrityError as exc:
        # Two submissions racing: the one-to-one constraint keeps exactly one.
        raise FeedbackRefused("You have already sent feedback on this meeting. Thank you.") from exc


# --- Personal calendar feed ---------------------------------------------------


def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """Create the member's feed, or replace its token so the old address stops working."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        if not created:
            feed.token = new_feed_token()
            feed.save(update_fields=["token"])
    return feed


# --- Scheduled email (called by the scan in network_portal.schedules) ----------


def reminder_send(*, event: Meeting, recipient, dedupe_key: str, skip_reason: str = "", days: int, now=None):
    return _notify_scheduled(
        event,
        recipient,
        template="meeting-reminder",
        kind="reminder",
        dedupe_key=dedupe_key,
        skip_reason=skip_reason,
        days=days,
        time_left=time_left_phrase(event.starts_at, now or timezone.now()),
        reason="You registered for this meeting.",
    )


def survey_send(*, event: Meeting, recipient, dedupe_key: str, skip_reason: str = ""):
    return _notify_scheduled(
        event,
        recipient,
        template="meeting-survey",
        kind="survey",
        dedupe_key=dedupe_key,
        skip_reason=skip_reason,
        sensitive=True,  # the signed survey link answers as the member
        feedback_url=feedback_link(recipient.context["registration"]),
        reason="You registered for this meeting, and your answers shape the next one.",
    )


def _notify_scheduled(
    meeting: Meeting,
    recipient,
    *,
    template: str,
    kind: str,
    dedupe_key: str,
    skip_reason: str,
    sensitive: bool = False,
    **extra,
):
    """A scheduled email to one registrant, in the bulk lane."""
    registration = recipient.context["registration"]
    return notify(
        template=template,
        to_email=registration.user.email,
        kind=kind,
        dedupe_key=dedupe_key,
        lane=OutboxEmail.Lane.BULK,
        sensitive=sensitive,
        user=registration.user,
        skip_reason=skip_reason,
        context={"meeting": meeting, "registration": registration, **extra},
    )


# --- Private helpers ----------------------------------------------------------


def _check_open(meeting: Meeting, mode: str) -> None:
    now = timezone.now()
    if mode not in Registration.Mode.values:
        raise RegistrationRefused("Choose whether you will attend in person or online.")
    if meeting.status == Meeting.Status.CANCELLED:
        raise RegistrationRefused("This meeting has been cancelled.")
    if meeting.status != Meeting.Status.PUBLISHED:
        raise RegistrationRefused("This meeting is not open for registration yet.")
    if meeting.starts_at <= now:
        raise RegistrationRefused("This meeting has already taken place.")
    if meeting.registration_deadline <= now:
        raise RegistrationRefused("Registration for this meeting has closed.")
    if mode == Registration.Mode.IN_PERSON and not meeting.has_in_person:
        raise RegistrationRefused("This meeting is online only.")
    if mode == Registration.Mode.ONLINE and not meeting.has_online:
        raise RegistrationRefused("This meeting is in person only.")


def _already_message(existing: Registration) -> str:
    if existing.is_waitlisted:
        return "You are already on the in-person waiting list for this meeting."
    return f"You are already registered for this meeting ({existing.get_mode_display().lower()})."


def _seats_left(meeting: Meeting) -> int | None:
    """In-person seats left; None means no limit. Call only with the meeting row locked."""
    if meeting.in_person_capacity is None:
        return None
    taken = meeting.registrations.registered().in_person().count()
    return max(meeting.in_person_capacity - taken, 0)


def _fill_in_person_seats(meeting: Meeting) -> list[Registration]:
    """Promote from the waiting list, first come first served, into free seats."""
    if meeting.starts_at <= timezone.now():
        return []
    free = _seats_left(meeting)
    waiting = meeting.registrations.waitlisted().select_related("user")
    promoted = list(waiting if free is None else waiting[:free])
    for registration in promoted:
        registration.status = Registration.Status.REGISTERED
        registration.save(update_fields=["status"])
        _notify_registration(
            registration,
            template="meeting-promoted",
            kind="meeting-promoted",
            key=f"meeting-promoted:meeting:{meeting.pk}:registration:{registration.pk}",
            reason="You joined the in-person waiting list for this meeting.",
            ics=registration_ics(registration),
        )
    return promoted


def _send_registration_email(registration: Registration) -> None:
    if registration.is_waitlisted:
        _notify_registration(
            registration,
            template="meeting-waitlisted",
            kind="meeting-waitlisted",
            key=f"meeting-waitlisted:meeting:{registration.meeting_id}:registration:{registration.pk}",
            reason="You joined the in-person waiting list for this meeting.",
            context={"position": registration_waitlist_position(registration=registration)},
        )
        return
    _notify_registration(
        registration,
        template="meeting-registered",
        kind="meeting-registered",
        key=f"meeting-registered:meeting:{registration.meeting_id}:registration:{registration.pk}",
        reason="You registered for this meeting on the network's website.",
        ics=registration_ics(registration),
    )


def _tell_everyone_registered(meeting: Meeting, *, changed: list[str], registrations=None) -> int:
    if registrations is None:
        registrations = meeting.registrations.active().select_related("user").order_by("pk")
    cancelled = meeting.is_cancelled
    people = [
        event_changes.Attendee(
            user=registration.user,
            key=f"registration:{registration.pk}",
            context={"registration": registration},
            calendar_event=meeting_event(meeting, include_joining=registration.sees_joining_link and not cancelled),
        )
        for registration in registrations
    ]
    return event_changes.change_announce(
        event=meeting,
        people=people,
        kind_prefix="meeting",
        cancelled=cancelled,
        reminder_key_prefix=f"reminder:meeting:{meeting.pk}:",
        filename=f"{meeting.slug}.ics",
        context={"meeting": meeting, "changed": changed, "reason": "You registered for this meeting."},
    )


def _notify_registration(
    registration: Registration, *, template: str, kind: str, key: str, reason: str, context=None, ics=None
) -> int:
    meeting = registration.meeting
    attachments = ()
    if ics is not None:
        attachments = (Attachment(filename=f"{meeting.slug}.ics", content=ics, mimetype="text/calendar"),)
    row = notify(
        template=template,
        to_email=registration.user.email,
        kind=kind,
        dedupe_key=key,
        user=registration.user,
        attachments=attachments,
        context={"meeting": meeting, "registration": registration, "reason": reason, **(context or {})},
    )
    return int(row is not None)


def _same_wall_clock_later(moment, delta: timedelta):
    """The same London clock time `delta` later, whatever the clocks did in between."""
    local = timezone.localtime(moment, LONDON).replace(tzinfo=None)
    return timezone.make_aware(local + delta, LONDON)


def _unique_slug(meeting: Meeting) -> str:
    local = timezone.localtime(meeting.starts_at, LONDON)
    base = slugify(f"{meeting.title} {local:%Y-%m-%d}")[:180] or "meeting"
    slug, n = base, 2
    while Meeting.objects.filter(slug=slug).exclude(pk=meeting.pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
