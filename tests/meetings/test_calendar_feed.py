from datetime import timedelta

import icalendar
import pytest

from meetings import services
from meetings.models import CalendarFeed, Registration
from network_portal.ics import LONDON, calendar_sources

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _events(response):
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def test_personal_feed_lists_my_registered_meetings_with_my_joining_link(client, member):
    mine = RegistrationFactory(user=member.user)
    RegistrationFactory(user=member.user, status=Registration.Status.CANCELLED)
    RegistrationFactory()  # someone else's
    feed = services.calendar_feed_regenerate(user=member.user)

    response = client.get(f"/calendar/{feed.token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private, no-store"
    [event] = _events(response)
    assert str(event["uid"]) == f"meeting-{mine.meeting_id}@testserver"
    assert mine.meeting.joining_url in str(event["description"])


def test_unknown_feed_token_is_404(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_regenerating_the_feed_retires_the_old_address(client, member_client, member):
    member_client.post("/calendar/regenerate/")
    old = CalendarFeed.objects.get(user=member.user).token

    response = member_client.post("/calendar/regenerate/", follow=True)

    new = CalendarFeed.objects.get(user=member.user).token
    assert new != old
    assert "The old one no longer works" in response.content.decode()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert member_client.get("/calendar/regenerate/").status_code == 405


def test_feed_of_deactivated_user_is_404(client, member):
    feed = services.calendar_feed_regenerate(user=member.user)
    member.user.is_active = False
    member.user.save()

    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_other_apps_can_add_events_to_the_feed(client, member):
    meeting = MeetingFactory()

    def training_sessions(user):
        return [
            {
                "uid": f"session-1-for-{user.pk}@testserver",
                "sequence": 0,
                "start": meeting.starts_at + timedelta(days=1),
                "end": meeting.starts_at + timedelta(days=1, hours=3),
                "summary": "Mental Health and Wellbeing Training for Councillors",
            }
        ]

    calendar_sources.register(training_sessions)
    try:
        feed = services.calendar_feed_regenerate(user=member.user)
        events = _events(client.get(f"/calendar/{feed.token}.ics"))
    finally:
        calendar_sources.unregister(training_sessions)

    assert [str(e["summary"]) for e in events] == ["Mental Health and Wellbeing Training for Councillors"]
    assert events[0].start.tzinfo is not None
    assert events[0].start.astimezone(LONDON) == (meeting.starts_at + timedelta(days=1)).astimezone(LONDON)
