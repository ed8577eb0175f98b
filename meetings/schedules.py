"""When the meetings app's scheduled emails go out. The scan in
network_portal.schedules writes the outbox rows; the dedupe key on each row
makes every one of them go out once per registration."""

from datetime import timedelta
from functools import partial

from members.access import membership_current_q
from network_portal.schedules import Recipient, Schedule, register

from . import services
from .models import Meeting, Registration


def _published_meetings():
    return Meeting.objects.published()


def _registered(meeting: Meeting):
    registrations = (
        meeting.registrations.registered().filter(membership_current_q("user")).select_related("user", "meeting")
    )
    return [Recipient(user=r.user, subject_id=r.user_id, context={"registration": r}) for r in registrations]


def _survey_recipients(meeting: Meeting):
    registrations = (
        Registration.objects.survey_recipients(meeting)
        .filter(membership_current_q("user"))
        .select_related("user", "meeting")
    )
    return [Recipient(user=r.user, subject_id=r.user_id, context={"registration": r}) for r in registrations]


def _until_start(meeting: Meeting):
    return meeting.starts_at


def _survey_expiry(meeting: Meeting):
    # A survey arriving more than a week late would be answered from faded memory.
    return meeting.ends_at + timedelta(days=7)


for days in (7, 1):
    register(
        Schedule(
            name=f"meeting-reminder-{days}d",
            kind="reminder",
            label=f"{days}d",
            anchor="starts_at",
            offset=-timedelta(days=days),
            events=_published_meetings,
            recipients=_registered,
            send=partial(services.reminder_send, days=days),
            expires=_until_start,
            superseded_by=-timedelta(days=1) if days == 7 else None,
            rescheduled_field="rescheduled_at",
            passes_now=True,
        )
    )

register(
    Schedule(
        name="meeting-feedback-survey",
        kind="survey",
        label="feedback",
        anchor="ends_at",
        offset=timedelta(hours=2),
        events=_published_meetings,
        recipients=_survey_recipients,
        send=services.survey_send,
        expires=_survey_expiry,
    )
)
