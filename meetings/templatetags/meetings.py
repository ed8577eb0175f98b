from datetime import datetime, timedelta

from django import template
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from meetings.models import CalendarFeed, Meeting, Registration
from meetings.services import registration_waitlist_position_annotation
from network_portal import caching, fragments
from network_portal.urls_util import absolute_url

register = template.Library()


@register.inclusion_tag("meetings/_next_meeting_panel.html")
def next_meeting():
    """The home page's "next meeting" panel."""
    # A few are cached, not one, so the panel moves on by itself when the first ends.
    soon = caching.cached(caching.NEXT_MEETINGS, lambda: list(Meeting.objects.published().upcoming()[:3]))
    now = timezone.now()
    return {"meeting": next((m for m in soon if m.ends_at >= now), None)}


@register.simple_tag(takes_context=True)
def my_meetings(context):
    """My account's "My meetings": what I am registered or waiting for, and my calendar feed.
    Kept per member until a write to registrations, meetings or calendar feeds bumps
    MY_MEETINGS, or one of the meetings ends."""
    user = context["request"].user
    key = caching.key_for("account:my-meetings", user.pk)
    return fragments.render_kept(
        context, key, [caching.MY_MEETINGS], "meetings/_my_meetings.html", lambda: my_meetings_lists(user)
    )


def my_meetings_lists(user) -> tuple[dict, datetime | None]:
    """The section's context, and when it next changes by the clock alone."""
    now = timezone.now()
    feed_token = Subquery(CalendarFeed.objects.filter(user=OuterRef("user")).values("token"))
    # One query: the waiting-list places and the calendar feed are read with the registrations.
    registrations = list(
        Registration.objects.for_user(user)
        # The member's own cancellations drop off; the organisers' stay, with their reason.
        .exclude(status=Registration.Status.CANCELLED)
        .exclude(meeting__status=Meeting.Status.DRAFT)
        .select_related("meeting")
        .annotate(waitlist_position=registration_waitlist_position_annotation(), feed_token=feed_token)
        .order_by("meeting__starts_at")
    )
    if registrations:
        token = registrations[0].feed_token
    elif user.is_authenticated:  # no row to carry the feed: it needs a query of its own
        token = CalendarFeed.objects.filter(user=user).values_list("token", flat=True).first()
    else:
        token = None
    upcoming = [r for r in registrations if r.meeting.ends_at >= now]
    lists = {
        "upcoming": upcoming,
        "past": [r for r in registrations if r.meeting.ends_at < now and r.is_registered][::-1],
        "feed_url": absolute_url(CalendarFeed(token=token).get_absolute_url()) if token else "",
    }
    # A meeting moves to the past just after it ends.
    return lists, fragments.soonest(r.meeting.ends_at + timedelta(microseconds=1) for r in upcoming)
