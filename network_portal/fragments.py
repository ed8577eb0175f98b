"""A member's own section of a page (My account's "My training", say), rendered once and
kept until a write or the clock changes what it shows.

The key carries the member's id; the copy is kept with the versions that the writes
bump (read in the same round trip) and the moment its content changes by the clock
alone (a session starting), after which it is rendered afresh. Forms in the section
get this request's CSRF token: the copy is rendered with a placeholder in its place,
so no token is ever kept.

A page with several sections marks its view with @kept_sections: each section then
leaves a marker where it goes, and once the page is rendered all of them are read in
one round trip and put in place of their markers."""

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps

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

    entry = (key, names, render, _still_current)
    sections = getattr(context.get("request"), "_kept_sections", None)
    if sections is None:
        html, _ = caching.versioned_many([entry])[0]
        return with_csrf_token(context, html)
    marker = f"<!--kept-section-{sections['nonce']}-{len(sections['entries'])}-->"
    # The token itself, lazy as in the context: a section without a form does not ask for one.
    sections["entries"].append((marker, entry, {"csrf_token": context.get("csrf_token")}))
    return mark_safe(marker)  # noqa: S308 - a comment of our own  # nosec B308, B703


def _still_current(kept: tuple[str, datetime]) -> bool:
    return kept[1] > timezone.now()


def kept_sections(view):
    """For a view whose page holds several sections: they are read together after the page is
    rendered, in one round trip, instead of one round trip each while it renders. The view
    must return its page rendered (render(), not a TemplateResponse)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request._kept_sections = {"nonce": secrets.token_hex(8), "entries": []}
        response = view(request, *args, **kwargs)
        entries = request._kept_sections["entries"]
        if entries and not response.streaming:
            content = response.content.decode(response.charset)
            kept = caching.versioned_many([entry for _marker, entry, _token in entries])
            for (marker, _entry, token), (html, _changes_at) in zip(entries, kept, strict=True):
                content = content.replace(marker, with_csrf_token(token, html), 1)
            response.content = content
        return response

    return wrapper


def with_csrf_token(context, html: str) -> SafeString:
    """HTML rendered with CSRF_PLACEHOLDER as its token, with this request's token put in
    (context: the page's, or a dict holding its csrf_token)."""
    if _CSRF_INPUT in html:
        html = html.replace(_CSRF_INPUT, CsrfTokenNode().render(context))
    return mark_safe(html)  # noqa: S308 - rendered by an autoescaping template  # nosec B308, B703


def soonest(moments) -> datetime | None:
    """The earliest of these future moments, or None."""
    now = timezone.now()
    return min((moment for moment in moments if moment > now), default=None)
