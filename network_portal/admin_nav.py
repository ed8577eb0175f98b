"""The admin's navigation sidebar, rendered once per process for each kind of visitor.

On every admin page Django asks each registered ModelAdmin what the user may do with
its model and renders the answer as a table of some thirty rows: a third of the cost of
a short changelist. What the sidebar shows depends only on the code (which models are
registered, under which names), the language, the page (its model is marked current)
and the user's permissions, so copies are kept on exactly those. A permission granted or
taken away changes the key on the next request, and the copies live in this process's
memory, not Redis, so a deploy, which starts new processes, never meets an old copy.
"""

from django.utils.translation import get_language

# A few kinds of staff times the admin's pages: a small dict, emptied if it ever fills.
LIMIT = 500
_copies: dict[tuple, str] = {}


def nav_sidebar(context) -> str:
    """admin/nav_sidebar.html for this page and user, rendered in the page's context."""
    request = context["request"]
    key = (get_language(), request.path, permissions_key(request.user))
    html = _copies.get(key)
    if html is None:
        html = context.template.engine.get_template("admin/nav_sidebar.html").render(context)
        if len(_copies) >= LIMIT:
            _copies.clear()
        _copies[key] = html
    return html


def permissions_key(user) -> object:
    """Everything Django's app list asks of the user: has_module_perms and has_perm, which
    are all true for an active superuser and otherwise read get_all_permissions()."""
    if not user.is_active:
        return "inactive"
    if user.is_superuser:
        return "superuser"
    return frozenset(user.get_all_permissions())
