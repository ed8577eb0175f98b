from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from meetings import services
from meetings.calendar import meeting_ics
from network_portal.ics import LONDON, calendar_for, event_uid

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _event(content: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return event


def test_ics_uid_is_stable_and_sequence_rises_when_time_or_place_changes(client):
    meeting = MeetingFactory()
    first = _event(client.get(f"/meetings/{meeting.slug}.ics").content)

    meeting.title = "Renamed meeting"
    services.meeting_save(meeting=meeting)
    renamed = _event(client.get(f"/meetings/{meeting.slug}.ics").content)

    meeting.starts_at += timedelta(hours=1)
    meeting.ends_at += timedelta(hours=1)
    services.meeting_save(meeting=meeting)
    moved = _event(client.get(f"/meetings/{meeting.slug}.ics").content)

    meeting.venue_name = "Another venue"
    services.meeting_save(meeting=meeting)
    relocated = _event(client.get(f"/meetings/{meeting.slug}.ics").content)

    assert first["uid"] == renamed["uid"] == moved["uid"] == relocated["uid"] == event_uid("meeting", meeting.pk)
    assert [e["sequence"] for e in (first, renamed, moved, relocated)] == [0, 0, 1, 2]
    assert moved.start == meeting.starts_at
    assert "Another venue" in str(relocated["location"])


@pytest.mark.parametrize(
    ("local", "utc_hour"),
    [
        (datetime(2026, 3, 26, 18, 0), 18),  # GMT, the Thursday before the clocks go forward
        (datetime(2026, 4, 2, 18, 0), 17),  # BST, a week later
        (datetime(2026, 10, 22, 18, 0), 17),  # BST, the Thursday before the clocks go back
        (datetime(2026, 10, 29, 18, 0), 18),  # GMT, a week later
    ],
)
def test_ics_times_are_london_wall_clock_on_both_sides_of_a_clock_change(client, local, utc_hour):
    starts = local.replace(tzinfo=LONDON)
    meeting = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))

    content = client.get(f"/meetings/{meeting.slug}.ics").content
    event = _event(content)

    assert f"DTSTART;TZID=Europe/London:{local:%Y%m%dT%H%M%S}" in content.decode()
    assert event.start.astimezone(UTC) == datetime(local.year, local.month, local.day, utc_hour, tzinfo=UTC)
    assert event.end - event.start == timedelta(hours=2)
    timezones = icalendar.Calendar.from_ical(content).walk("VTIMEZONE")
    assert [tz["tzid"] for tz in timezones] == ["Europe/London"]
    assert {c.name for c in timezones[0].subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_public_ics_never_carries_the_joining_link(client, member):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)  # someone else is registered

    anonymous = client.get(f"/meetings/{meeting.slug}.ics")
    client.force_login(member.user)
    unregistered = client.get(f"/meetings/{meeting.slug}.ics")

    for response in (anonymous, unregistered):
        assert response["Content-Type"].startswith("text/calendar")
        assert meeting.joining_url.encode() not in response.content
        assert b"4815" not in response.content


def test_registrant_ics_carries_the_joining_link(client, member):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting, user=member.user)
    client.force_login(member.user)

    event = _event(client.get(f"/meetings/{meeting.slug}.ics").content)

    assert meeting.joining_url in str(event["description"])


def test_cancelled_meeting_ics_says_cancelled_with_a_higher_sequence():
    meeting = MeetingFactory()
    services.meeting_cancel(meeting_id=meeting.pk, reason="Venue closed")
    meeting.refresh_from_db()

    event = _event(meeting_ics(meeting, include_joining=False))

    assert event["status"] == "CANCELLED"
    assert event["sequence"] == 1


def test_calendar_for_accepts_event_dicts_and_rejects_naive_times():
    start = datetime(2026, 6, 1, 9, tzinfo=LONDON)
    content = calendar_for(
        [{"uid": "x-1@test", "sequence": 3, "start": start, "end": start + timedelta(hours=1), "summary": "Session"}]
    )
    assert _event(content)["sequence"] == 3

    with pytest.raises(ValueError, match="timezone-aware"):
        calendar_for(
            [
                {
                    "uid": "x",
                    "sequence": 0,
                    "start": datetime(2026, 6, 1, 9),
                    "end": datetime(2026, 6, 1, 10),
                    "summary": "Naive",
                }
            ]
        )
