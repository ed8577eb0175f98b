"""When the meetings app's scheduled emails go out. The scan in
network_portal.schedules writes the outbox rows; the dedupe key on each row
makes every one of them go out once per registration."""

from datetime import timedelta
from functools import partial

from members.access import membership_current_q
from network_portal.schedules import Recipient, Schedule, register, register_reminders

from . import services
from .models import Meeting, Registration


def _published_meetings():
    return Meeting.objects.published()


def _current_members_of(registrations) -> list[Recipient]:
    registrations = registrations.filter(membership_current_q("user")).select_related("user", "meeting")
    return [Recipient(user=r.user, subject_id=r.user_id, context={"registration": r}) for r in registrations]


def _registered(meeting: Meeting):
    return _current_members_of(meeting.registrations.registered())


def _survey_recipients(meeting: Meeting):
    return _current_members_of(Registration.objects.survey_recipients(meeting))


def _survey_expiry(meeting: Meeting):
    # A survey arriving more than a week late would be answered from faded memory.
    return meeting.ends_at + timedelta(days=7)


# A reminder is pointless once the meeting has started (the default expiry).
register_reminders(
    name="meeting-reminder",
    kind="reminder",
    days=(7, 1),
    events=_published_meetings,
    recipients_for=lambda days: _registered,
    send_for=lambda days: partial(services.reminder_send, days=days),
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
