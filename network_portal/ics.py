"""iCalendar files for meetings and training sessions.

Times are written in Europe/London with a VTIMEZONE, so calendar apps show the
wall-clock time the network advertised, on both sides of a clock change. The
UID names the object, never its time, so an updated file replaces the old entry;
SEQUENCE tells the calendar app which version is newer.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from .registry import Registry

LONDON = ZoneInfo("Europe/London")
PRODID = "-//Thrive LDN//Mentally Healthier Councils Network//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    # DTSTAMP; defaults to now. Pass a fixed value when the bytes must be reproducible.
    stamp: datetime | None = field(default=None, compare=False)


# The member's personal calendar feed gathers events from every app that has
# some for them: each registers a source(user) -> events in its `<app>/calendar.py`.
EventSource = Callable[[object], Iterable[CalendarEvent | Mapping]]
calendar_sources: Registry[EventSource] = Registry(
    "Calendar sources", key=lambda source: f"{source.__module__}.{source.__qualname__}"
)


def feed_events(user) -> list[CalendarEvent | Mapping]:
    events = []
    for source in calendar_sources:
        events.extend(source(user))
    return events


def event_uid(kind: str, pk: int) -> str:
    """A UID that never changes for one object, e.g. meeting-12@network.example.org."""
    host = urlsplit(settings.SITE_URL).hostname or "network-portal"
    return f"{kind}-{pk}@{host}"


def build_event(event: CalendarEvent | Mapping) -> icalendar.Event:
    if isinstance(event, Mapping):
        event = CalendarEvent(**event)
    if timezone.is_naive(event.start) or timezone.is_naive(event.end):
        raise ValueError("Calendar events need timezone-aware start and end times.")
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("sequence", event.sequence)
    component.add("dtstamp", (event.stamp or timezone.now()).astimezone(ZoneInfo("UTC")))
    component.add("dtstart", event.start.astimezone(LONDON))
    component.add("dtend", event.end.astimezone(LONDON))
    component.add("summary", event.summary)
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.location:
        component.add("location", event.location)
    if event.description:
        component.add("description", event.description)
    if event.url:
        component.add("url", event.url)
    return component


def calendar_for(events: Iterable[CalendarEvent | Mapping], *, name: str = "", method: str = "PUBLISH") -> bytes:
    """One VCALENDAR holding the events (CalendarEvent or dicts of its fields).
    method="CANCEL" tells calendar apps to remove the (cancelled) events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # PUBLISH, not REQUEST: these are announcements, not invitations expecting a reply.
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", LONDON.key)
    components = [build_event(event) for event in events]
    if components:
        first = min(c.start for c in components).year
        last = max(c.end for c in components).year
        calendar.add_component(_london_vtimezone(first, last))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


@lru_cache(maxsize=32)
def _london_vtimezone(first_year: int, last_year: int) -> icalendar.Timezone:
    # Only the years the events need: the full 1970-2038 history is about 4 KB per file.
    return icalendar.Timezone.from_tzid(
        LONDON.key, first_date=date(first_year - 1, 1, 1), last_date=date(last_year + 1, 12, 31)
    )


def ics_response(content: bytes, *, filename: str, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Calendars may hold private joining links: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
