from django import template
from django.utils import timezone

from meetings.models import CalendarFeed, Meeting, Registration
from meetings.services import registration_waitlist_position
from network_portal import caching
from network_portal.urls_util import absolute_url

register = template.Library()


@register.inclusion_tag("meetings/_next_meeting_panel.html")
def next_meeting():
    """The home page's "next meeting" panel."""
    # A few are cached, not one, so the panel moves on by itself when the first ends.
    soon = caching.cached(caching.NEXT_MEETINGS, lambda: list(Meeting.objects.published().upcoming()[:3]))
    now = timezone.now()
    return {"meeting": next((m for m in soon if m.ends_at >= now), None)}


@register.inclusion_tag("meetings/_my_meetings.html", takes_context=True)
def my_meetings(context):
    """My account's "My meetings": what I am registered or waiting for, and my calendar feed."""
    user = context["request"].user
    now = timezone.now()
    feed = CalendarFeed.objects.filter(user=user).first() if user.is_authenticated else None
    registrations = list(
        Registration.objects.for_user(user)
        # The member's own cancellations drop off; the organisers' stay, with their reason.
        .exclude(status=Registration.Status.CANCELLED)
        .exclude(meeting__status=Meeting.Status.DRAFT)
        .select_related("meeting")
        .order_by("meeting__starts_at")
    )
    for registration in registrations:
        registration.waitlist_position = registration_waitlist_position(registration=registration)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "upcoming": [r for r in registrations if r.meeting.ends_at >= now],
        "past": [r for r in registrations if r.meeting.ends_at < now and r.is_registered][::-1],
        "feed_url": absolute_url(feed.get_absolute_url()) if feed else "",
    }
