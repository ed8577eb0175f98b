"""Meetings as calendar events, and the personal calendar feed.

Other apps add their own events to a member's feed with register_source():

    from meetings.calendar import register_source

    def _my_sessions(user):
        return [{"uid": ..., "sequence": ..., "start": ..., ...}]  # CalendarEvent fields

    register_source(_my_sessions)   # from the app's AppConfig.ready()
"""

from collections.abc import Callable, Iterable, Mapping

from django.utils import timezone

from network_portal.ics import CalendarEvent, calendar_for, event_uid
from network_portal.urls_util import absolute_url

from .models import FEED_HISTORY, Meeting, Registration

EventSource = Callable[[object], Iterable[CalendarEvent | Mapping]]

_sources: list[EventSource] = []


def register_source(source: EventSource) -> EventSource:
    if source not in _sources:
        _sources.append(source)
    return source


def feed_events(user) -> list[CalendarEvent | Mapping]:
    events = []
    for source in _sources:
        events.extend(source(user))
    return events


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
    registrations = (
        Registration.objects.registered()
        .filter(user=user, meeting__ends_at__gte=timezone.now() - FEED_HISTORY)
        .exclude(meeting__status=Meeting.Status.DRAFT)
        .select_related("meeting")
    )
    return [meeting_event(r.meeting, include_joining=r.sees_joining_link) for r in registrations]


register_source(_my_meetings)
