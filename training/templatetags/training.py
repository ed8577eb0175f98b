from django import template
from django.utils import timezone

from members.models import Member
from network_portal import caching
from training import reports, services
from training.models import Booking, Feedback, FollowUp, Session

register = template.Library()


@register.inclusion_tag("training/_headline.html")
def training_headline():
    """The live headline figure, for the home page and /training/."""
    return {"headline": caching.cached(caching.HEADLINE, Feedback.objects.headline)}


@register.inclusion_tag("training/_support_signpost.html")
def training_signpost():
    return {}


@register.inclusion_tag("training/_my_training.html")
def my_training(user):
    """The member's bookings with what they can do next: cancel, give feedback, answer a follow-up."""
    if not user.is_authenticated:
        return {"bookings": []}
    now = timezone.now()
    bookings = list(
        Booking.objects.filter(member__user=user)
        # The member's own cancellations drop off; the organisers' stay, with their reason.
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("session__course", "session__council", "feedback")
        .prefetch_related("follow_ups")
        .order_by("-session__starts_at")
    )
    items = [_item(booking, now) for booking in bookings]
    return {
        "upcoming": [i for i in items if i["booking"].session.starts_at > now],
        "past": [i for i in items if i["booking"].session.starts_at <= now],
        "bookings": bookings,
    }


@register.inclusion_tag("training/_council_coverage_panel.html")
def council_coverage(council):
    """Training delivered for one council, for the council's page."""
    # Two queries in all: this panel sits on another app's page with its own query budget.
    now = timezone.now()
    sessions = list(
        Session.objects.listed()
        .exclude(status=Session.Status.CANCELLED)
        .filter(council=council)
        .select_related("course")
        .order_by("starts_at")
    )
    trained = (
        Booking.objects.attended()
        .filter(role=Member.Role.COUNCILLOR, council=council)
        .aggregate(n=reports.councillors_trained_count())["n"]
    )
    row = reports.CouncilCoverage(council, trained, sum(s.ends_at <= now for s in sessions))
    return {"row": row, "upcoming": [s for s in sessions if s.starts_at > now][:3], "council": council}


def _item(booking: Booking, now) -> dict:
    item = {"booking": booking, "position": services.waitlist_position(booking), "feedback_due": False, "followups": []}
    if booking.attended != Booking.Attended.YES:
        return item
    item["certificate"] = booking.status == Booking.Status.CONFIRMED
    item["feedback_due"] = not hasattr(booking, "feedback")
    answered = {f.wave for f in booking.follow_ups.all()}
    item["followups"] = [
        (wave, label)
        for wave, label in FollowUp.Wave.choices
        if wave not in answered and services.followup_opens_at(booking.session, wave) <= now
    ]
    return item
