from django import template
from django.db.models import Value

from members.access import is_approved_member
from members.models import Member
from network_portal import caching, fragments

from ..models import CaseStudy, Download, Resource, Update

register = template.Library()

HOME_UPDATES = 3
MY_DOWNLOADS = 10


@register.simple_tag
def latest_updates_for(user):
    audience = "members" if is_approved_member(user) else "public"
    return caching.cached(
        caching.key_for(caching.LATEST_UPDATES, audience),
        lambda: list(Update.objects.visible_to(user).order_by("-published_at", "-pk")[:HOME_UPDATES]),
    )


@register.simple_tag(takes_context=True)
def my_resources(context):
    """My account's downloads and submissions. Kept per member until a write to downloads,
    case studies, partner updates or resources bumps MY_RESOURCES; what the member may
    do next depends on their membership, which is in the key."""
    user = context["user"]
    member = getattr(user, "member", None)
    can_share = bool(context.get("can_use_member_pages"))
    is_partner = member is not None and member.role == Member.Role.PARTNER
    key = caching.key_for("account:my-resources", user.pk, int(can_share), int(is_partner))
    lists = {"can_use_member_pages": can_share, "is_partner": is_partner}
    return fragments.render_kept(
        context,
        key,
        [caching.MY_RESOURCES],
        "resources/_my_resources.html",
        lambda: ({**lists, **my_resources_lists(user)}, None),
    )


def my_resources_lists(user) -> dict[str, list]:
    """The three lists (latest downloads, case studies, partner updates), newest first,
    in one query: a UNION of one row shape, each row made back into its model."""
    mine = {"downloads": [], "case_studies": [], "partner_updates": []}
    if not user.is_authenticated:
        return mine
    for kind, pk, at, title, slug, status, note in _my_rows(user):
        if kind == "download":
            mine["downloads"].append(Download(pk=pk, downloaded_at=at, resource=Resource(title=title, slug=slug)))
        elif kind == "case_study":
            resource = Resource(slug=slug) if slug else None  # published: it links to its resource
            mine["case_studies"].append(
                CaseStudy(pk=pk, submitted_at=at, title=title, status=status, review_note=note, resource=resource)
            )
        else:
            mine["partner_updates"].append(Update(pk=pk, created_at=at, title=title, slug=slug, status=status))
    return mine


def _my_rows(user) -> list[tuple]:
    """(kind, pk, when, title, slug, status, note) rows, newest first within each kind."""
    # SQLite takes no ORDER BY or LIMIT in the parts of a UNION: the latest downloads are
    # picked in a subquery, each part's default ordering is cleared, and Python sorts.
    latest = Download.objects.filter(user=user).order_by("-downloaded_at").values("pk")[:MY_DOWNLOADS]
    downloads = Download.objects.filter(pk__in=latest).values_list(
        Value("download"), "pk", "downloaded_at", "resource__title", "resource__slug", Value(""), Value("")
    )
    case_studies = CaseStudy.objects.filter(submitter=user).values_list(
        Value("case_study"), "pk", "submitted_at", "title", "resource__slug", "status", "review_note"
    )
    updates = Update.objects.filter(author=user).values_list(
        Value("update"), "pk", "created_at", "title", "slug", "status", Value("")
    )
    rows = downloads.order_by().union(case_studies.order_by(), updates.order_by(), all=True)
    return sorted(rows, key=lambda row: (row[2], row[1]), reverse=True)
