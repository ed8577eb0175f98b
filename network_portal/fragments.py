"""A member's own section of a page (My account's "My training", say), rendered once and
kept until a write or the clock changes what it shows.

The key carries the member's id; the copy is kept with the versions that the writes
bump (read in the same round trip) and the moment its content changes by the clock
alone (a session starting), after which it is rendered afresh. Forms in the section
get this request's CSRF token: the copy is rendered with a placeholder in its place,
so no token is ever kept."""

from collections.abc import Callable, Sequence
from datetime import datetime

from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from network_portal import caching

CSRF_PLACEHOLDER = "csrf-token-rendered-per-request"
_CSRF_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">'

Build = Callable[[], tuple[dict, datetime | None]]


def render_kept(context, key: str, names: Sequence[str], template_name: str, build: Build) -> SafeString:
    """The section kept under key while the versions of names stand; build() returns the
    template's context and the moment it changes by the clock (or None)."""

    def render() -> tuple[str, datetime]:
        values, changes_at = build()
        html = get_template(template_name).render({**values, "csrf_token": CSRF_PLACEHOLDER})
        return html, changes_at or caching.NEVER

    html, _ = caching.versioned(key, names, render, current=lambda kept: kept[1] > timezone.now())
    return with_csrf_token(context, html)


def with_csrf_token(context, html: str) -> SafeString:
    """HTML rendered with CSRF_PLACEHOLDER as its token, with this request's token put in."""
    if _CSRF_INPUT in html:
        html = html.replace(_CSRF_INPUT, CsrfTokenNode().render(context))
    return mark_safe(html)  # noqa: S308 - rendered by an autoescaping template  # nosec B308, B703


def soonest(moments) -> datetime | None:
    """The earliest of these future moments, or None."""
    now = timezone.now()
    return min((moment for moment in moments if moment > now), default=None)
