"""Scheduled training emails, declared for the site-wide scan
(network_portal.schedules). The scan runs every minute; dedupe keys such as
"training-reminder:session:12:member:40:7d" make each email go once."""

from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Coalesce
from django.urls import reverse

from members.access import membership_current_q
from network_portal.outbox import OutboxEmail, notify
from network_portal.schedules import Recipient, Schedule, register, register_reminders, shift, time_left_phrase

from . import services
from .models import Booking, FollowUp, Session


def _sessions_going_ahead():
    return Session.objects.going_ahead().select_related("course", "council")


def _recipient(booking: Booking, **context) -> Recipient:
    return Recipient(user=booking.member.user, subject_id=booking.member_id, context={"booking": booking, **context})


def _reminder_recipients(days: int):
    def recipients(session: Session):
        due = shift(session.starts_at, offset=-timedelta(days=days))
        # Someone who booked after the reminder was due has just had a confirmation; skip them.
        bookings = (
            session.bookings.confirmed()
            .filter(membership_current_q("member__user"))
            .annotate(confirmed_at=Coalesce("promoted_at", "created_at"))
            .filter(confirmed_at__lte=due)
            .select_related("member__user")
        )
        return [_recipient(booking, days=days) for booking in bookings]

    return recipients


def _notify_booking(*, template, kind, event, recipient, dedupe_key, skip_reason, reason, sensitive=False, **extra):
    """Email one booked member about their session, through the outbox.
    sensitive: the email carries a signed link that acts for the member."""
    booking = recipient.context["booking"]
    booking.session = event
    context = {**services.booking_email_context(booking, reason=reason), **extra}
    return notify(
        template=template,
        to_email=recipient.user.email,
        kind=kind,
        dedupe_key=dedupe_key,
        context=context,
        user=recipient.user,
        skip_reason=skip_reason,
        lane=OutboxEmail.Lane.BULK,
        sensitive=sensitive,
    )


def _send_reminder(*, event: Session, recipient: Recipient, dedupe_key: str, skip_reason: str, now):
    return _notify_booking(
        template="training-reminder",
        kind="training-reminder",
        event=event,
        recipient=recipient,
        dedupe_key=dedupe_key,
        skip_reason=skip_reason,
        reason="You get this email because you are booked on this training session.",
        days=recipient.context["days"],
        time_left=time_left_phrase(event.starts_at, now),
    )


def _feedback_recipients(session: Session):
    bookings = (
        session.bookings.attended()
        .filter(membership_current_q("member__user"), feedback__isnull=True)
        .select_related("member__user")
    )
    return [_recipient(booking) for booking in bookings]


def _send_feedback_request(*, event: Session, recipient: Recipient, dedupe_key: str, skip_reason: str):
    token = services.feedback_token(recipient.context["booking"])
    return _notify_booking(
        template="training-feedback-request",
        kind="training-feedback",
        event=event,
        recipient=recipient,
        dedupe_key=dedupe_key,
        skip_reason=skip_reason,
        reason="You get this email because you attended this training session.",
        form_url=reverse("training:feedback-link", kwargs={"token": token}),
        sensitive=True,
    )


def _followup_recipients(wave: str):
    def recipients(session: Session):
        bookings = (
            session.bookings.attended()
            .exclude(follow_ups__wave=wave)
            .filter(membership_current_q("member__user"))
            .select_related("member__user")
        )
        return [_recipient(booking) for booking in bookings]

    return recipients


def _followup_sender(wave: str):
    def send(*, event: Session, recipient: Recipient, dedupe_key: str, skip_reason: str):
        token = services.followup_token(recipient.context["booking"], wave)
        return _notify_booking(
            template="training-followup",
            kind="training-followup",
            event=event,
            recipient=recipient,
            dedupe_key=dedupe_key,
            skip_reason=skip_reason,
            reason="You get this email because you attended this training session and we follow up with every trainee.",
            form_url=reverse("training:followup-link", kwargs={"wave": wave, "token": token}),
            wave_label=FollowUp.Wave(wave).label,
            sensitive=True,
        )

    return send


register_reminders(
    name="training-reminder",
    kind="training-reminder",
    days=(7, 1),
    events=_sessions_going_ahead,
    recipients_for=_reminder_recipients,
    send_for=lambda days: _send_reminder,
)

register(
    Schedule(
        name="training-feedback",
        kind="training-feedback",
        label="2h",
        anchor="ends_at",
        offset=timedelta(hours=2),
        events=_sessions_going_ahead,
        # Attendance is often marked late; the survey follows whenever it is,
        # for sessions up to TRAINING_SURVEY_MAX_AGE_DAYS old.
        recipients=_feedback_recipients,
        send=_send_feedback_request,
        lookback=lambda: timedelta(days=settings.TRAINING_SURVEY_MAX_AGE_DAYS),
    )
)

for wave, months in ((FollowUp.Wave.THREE_MONTHS, 3), (FollowUp.Wave.SIX_MONTHS, 6)):
    register(
        Schedule(
            name=f"training-followup-{wave}",
            kind="training-followup",
            label=str(wave),
            anchor="ends_at",
            months=months,
            events=_sessions_going_ahead,
            recipients=_followup_recipients(wave),
            send=_followup_sender(wave),
        )
    )
