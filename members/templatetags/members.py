"""My account's "Your profile" section (members/views.py's account page)."""

from datetime import datetime

from django import template
from django.db.models import F

from members.models import Member
from network_portal import caching, fragments

register = template.Library()


@register.simple_tag(takes_context=True)
def my_profile(context):
    """The member's role, council, details and interests. Kept per member until a write to
    members, councils, topics or interests bumps DIRECTORY."""
    member = context["user"].member
    key = caching.key_for("account:my-profile", member.pk)
    return fragments.render_kept(
        context, key, [caching.DIRECTORY], "members/_my_profile.html", lambda: my_profile_context(member)
    )


def my_profile_context(member) -> tuple[dict, datetime | None]:
    """The member with their council, and their interests' names, from one query (a row per interest)."""
    rows = list(
        Member.objects.select_related("council")
        .filter(pk=member.pk)
        .annotate(interest=F("interests__name"))
        .order_by("interests__position", "interests__name")
    )
    return {"member": rows[0], "interest_names": [row.interest for row in rows if row.interest is not None]}, None
