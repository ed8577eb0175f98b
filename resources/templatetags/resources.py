from django import template

from members.access import is_approved_member
from network_portal import caching

from ..models import CaseStudy, Download, Update

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


@register.simple_tag
def my_downloads(user):
    return list(Download.objects.filter(user=user).select_related("resource").order_by("-downloaded_at")[:MY_DOWNLOADS])


@register.simple_tag
def my_case_studies(user):
    return list(CaseStudy.objects.submitted_by(user))


@register.simple_tag
def my_partner_updates(user):
    return list(Update.objects.filter(author=user).order_by("-created_at"))
