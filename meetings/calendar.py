"""Meetings as calendar events, and the personal calendar feed: this app
serves the feed, and every app adds its events to it through
network_portal.ics.calendar_sources."""

from django.utils import timezone

from network_portal.ics import CalendarEvent, calendar_for, calendar_sources, event_uid, feed_events
from network_portal.urls_util import absolute_url

from .models import FEED_HISTORY, Meeting, Registration


def feed_calendar(user) -> bytes:
    return calendar_for(feed_events(user), name="My network meetings and training")


def meeting_event(meeting: Meeting, *, include_joining: bool) -> CalendarEvent:
    """The meeting as a calendar entry. The joining link goes in only when the caller
    has established that the reader is registered."""
    page = absolute_url(meeting.get_absolute_url())
    lines = []
    if meeting.is_cancelled:
        lines.append("This meeting has been cancelled.")
    lines.append(f"Chair: {meeting.chair}")
    if meeting.summary:
        lines.append(meeting.summary.strip())
    if include_joining and meeting.joining_url:
        lines.append(f"Join online: {meeting.joining_url}")
        if meeting.joining_notes:
            lines.append(meeting.joining_notes.strip())
    lines.append(f"Details and papers: {page}")
    return CalendarEvent(
        uid=event_uid("meeting", meeting.pk),
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=meeting.title,
        location=meeting.place,
        description="\n\n".join(lines),
        url=page,
        cancelled=meeting.is_cancelled,
    )


def meeting_ics(meeting: Meeting, *, include_joining: bool) -> bytes:
    return calendar_for([meeting_event(meeting, include_joining=include_joining)])


def registration_ics(registration: Registration) -> bytes:
    return meeting_ics(registration.meeting, include_joining=registration.sees_joining_link)


def _my_meetings(user) -> list[CalendarEvent]:
    # A meeting the organisers cancelled stays, marked cancelled, so the
    # calendar app shows the cancellation rather than silently dropping it.
    registrations = (
        Registration.objects.filter(
            status__in=[Registration.Status.REGISTERED, Registration.Status.ORGANISER_CANCELLED]
        )
        .filter(user=user, meeting__ends_at__gte=timezone.now() - FEED_HISTORY)
        .exclude(meeting__status=Meeting.Status.DRAFT)
        .select_related("meeting")
    )
    return [meeting_event(r.meeting, include_joining=r.sees_joining_link and r.is_registered) for r in registrations]


calendar_sources.register(_my_meetings)
