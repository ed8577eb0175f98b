"""The site's header and footer, rendered once per process for each kind of visitor.

Every page carries them, and their reversed URLs cost more than a short page's own
content. For visitors and members they show only links, which depend on the code,
the settings and two facts about the visitor: signed in or not, and allowed the
member pages or not. Copies are kept in this process's memory on exactly those, so
a deploy, which starts new processes, never meets an old copy. The log-out form gets
each request's CSRF token. Staff and signed-in people without a membership
(evaluators) see links that depend on their permissions: theirs are rendered each
time.
"""

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf

from network_portal import fragments

_copies: dict[tuple, str] = {}


def render(context, template_name: str) -> str:
    """template_name rendered in the page's context, from a copy where it can be."""
    template = context.template.engine.get_template(template_name)
    user = context.get("user")
    if user is not None and (user.is_staff or (user.is_authenticated and getattr(user, "member", None) is None)):
        return template.render(context)
    key = (
        template_name,
        get_urlconf(),
        get_script_prefix(),
        bool(user and user.is_authenticated),
        bool(context.get("can_use_member_pages")),
    )
    html = _copies.get(key)
    if html is None:
        with context.push(csrf_token=fragments.CSRF_PLACEHOLDER):
            html = _copies[key] = template.render(context)
    return fragments.with_csrf_token(context, html)


def _forget(**kwargs) -> None:
    # Tests change URLs and contact details with override_settings.
    _copies.clear()


setting_changed.connect(_forget, dispatch_uid="site-layout-copies")
