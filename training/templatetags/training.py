from datetime import datetime

from django import template
from django.db.models import Exists, OuterRef
from django.utils import timezone

from members.models import Member
from network_portal import caching, fragments
from training import reports, services
from training.models import Booking, Commitment, Feedback, FollowUp, Session

register = template.Library()


@register.inclusion_tag("training/_headline.html")
def training_headline():
    """The live headline figure, for the home page and /training/."""
    return {"headline": caching.cached(caching.HEADLINE, Feedback.objects.headline)}


@register.inclusion_tag("training/_london_coverage.html")
def london_coverage():
    """Distinct councillors trained out of London's elected seats (cached with the coverage map)."""
    return {"london": reports.london_coverage()}


@register.inclusion_tag("training/_support_signpost.html")
def training_signpost():
    return {}


@register.simple_tag(takes_context=True)
def my_training(context, user):
    """The member's bookings with what they can do next: cancel, give feedback, answer a follow-up.
    Kept per member until a write to bookings, sessions, courses, feedback or follow-ups
    bumps MY_TRAINING, or a session starts or a follow-up opens."""
    key = caching.key_for("account:my-training", user.pk)
    return fragments.render_kept(
        context, key, [caching.MY_TRAINING], "training/_my_training.html", lambda: my_training_lists(user)
    )


def my_training_lists(user) -> tuple[dict, datetime | None]:
    """The section's context, and when it next changes by the clock alone."""
    if not user.is_authenticated:
        return {"bookings": []}, None
    now = timezone.now()
    # One query: the waiting-list places and the follow-ups answered are read with the bookings.
    bookings = list(
        Booking.objects.filter(member__user=user)
        # The member's own cancellations drop off; the organisers' stay, with their reason.
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("session__course", "session__council", "feedback")
        .annotate(waitlist_position=services.waitlist_position_annotation(), **_answered_waves())
        .order_by("-session__starts_at")
    )
    items = [_item(booking, now) for booking in bookings]
    lists = {
        "upcoming": [i for i in items if i["booking"].session.starts_at > now],
        "past": [i for i in items if i["booking"].session.starts_at <= now],
        "bookings": bookings,
    }
    starts = [i["booking"].session.starts_at for i in lists["upcoming"]]
    return lists, fragments.soonest(starts + [opens for i in items for opens in i["followups_due_at"]])


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
    # Kept on the council for the timeline beside this panel, which lists the same sessions.
    council._training_sessions = sessions
    row = reports.CouncilCoverage(council, trained, sum(s.ends_at <= now for s in sessions))
    return {"row": row, "upcoming": [s for s in sessions if s.starts_at > now][:3], "council": council}


@register.inclusion_tag("training/_council_timeline.html", takes_context=True)
def council_timeline(context, council):
    """Verified commitments and policy changes beside the training delivered, newest first."""
    now = timezone.now()
    sessions = getattr(council, "_training_sessions", None)
    if sessions is None:
        sessions = list(Session.objects.listed().filter(council=council).select_related("course"))
    delivered = [s for s in sessions if s.ends_at <= now and s.status != Session.Status.CANCELLED]
    entries = [(timezone.localtime(s.starts_at).date(), "training", s) for s in delivered]
    entries += [(c.happened_on, "commitment", c) for c in Commitment.objects.verified().filter(council=council)]
    entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return {"council": council, "entries": entries, "can_report": _can_report(context, council)}


def _can_report(context, council) -> bool:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    # The council page already lists its current champions and lead officer: no second query.
    appointments = context.get("appointments")
    if appointments is not None:
        member = getattr(request.user, "member", None)
        return bool(member and member.is_approved) and any(a.member.user_id == request.user.pk for a in appointments)
    member = getattr(request.user, "member", None)
    return services.commitment_reporter_source(member=member, council=council) is not None


def _answered_waves() -> dict[str, Exists]:
    """answered_3m, answered_6m...: whether the booking's follow-up of that wave is in."""
    return {
        f"answered_{wave}": Exists(FollowUp.objects.filter(booking=OuterRef("pk"), wave=wave))
        for wave in FollowUp.Wave.values
    }


def _item(booking: Booking, now) -> dict:
    item = {
        "booking": booking,
        "position": booking.waitlist_position,
        "feedback_due": False,
        "followups": [],
        "followups_due_at": [],  # when the unanswered follow-ups not yet open will open
    }
    if booking.attended != Booking.Attended.YES:
        return item
    item["certificate"] = booking.status == Booking.Status.CONFIRMED
    item["feedback_due"] = not hasattr(booking, "feedback")
    for wave, label in FollowUp.Wave.choices:
        if getattr(booking, f"answered_{wave}"):
            continue
        opens_at = services.followup_opens_at(booking.session, wave)
        if opens_at <= now:
            item["followups"].append((wave, label))
        else:
            item["followups_due_at"].append(opens_at)
    return item
