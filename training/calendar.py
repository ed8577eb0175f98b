"""Booked training sessions in the member's personal calendar feed."""

from datetime import timedelta

from django.utils import timezone

from network_portal.ics import CalendarEvent, calendar_sources

from .models import Booking, Session
from .services import session_calendar_event

# Recent sessions stay in the feed for a while, so calendars do not drop them at once.
FEED_HISTORY = timedelta(days=90)


def my_sessions(user) -> list[CalendarEvent]:
    # A session the organisers cancelled stays, marked cancelled, so the
    # calendar app shows the cancellation rather than silently dropping it.
    bookings = (
        Booking.objects.filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.ORGANISER_CANCELLED])
        .filter(member__user=user, session__ends_at__gte=timezone.now() - FEED_HISTORY)
        .exclude(session__status=Session.Status.DRAFT)
        .select_related("session__course", "session__council")
    )
    return [session_calendar_event(b.session, with_joining_link=b.status == Booking.Status.CONFIRMED) for b in bookings]


calendar_sources.register(my_sessions)
