"""Caching of anonymous public pages: Cache-Control headers, and a short-lived
server-side copy.

Only a response that is the same for every anonymous visitor may be shared: a
GET of a view marked @public_page by someone not logged in, answered 200,
that set no cookie, used no CSRF token and did not touch the session, and whose
view did not choose its own caching. Pages reached by signed links are never
marked: their URL is a credential and their answer changes as the link expires.

Such a page gets `Cache-Control: public, max-age=PUBLIC_PAGE_MAX_AGE` and is
kept in the cache for as long, so the next anonymous visitor gets it without
running the view. Everything else is marked private, so a shared cache
never stores a page with someone's name or token in it.

The server-side copies are keyed on the figures' generation (network_portal.caching),
so a write that invalidates a figure also retires every cached page at once.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from . import caching

# A visitor carrying any other cookie (a session, a flash message) may see
# something personal, so never gets a shared copy.
HARMLESS_COOKIES = {settings.CSRF_COOKIE_NAME}


def public_page(view):
    """Declare a view's anonymous GET answer the same for every visitor, so it may
    be shared (the checks above still apply to each response)."""
    view.public_page = True
    return view


def is_public_page(view) -> bool:
    return getattr(view, "public_page", False)


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if _is_shareable(request, response):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
            # Logged-in visitors see other content at the same URL.
            patch_vary_headers(response, ["Cookie"])
            key = getattr(request, "shared_copy_key", None)
            if key:
                caching.cache.set(key, _freeze(response), settings.PUBLIC_PAGE_MAX_AGE)
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Django has resolved the URL by now; a stored copy answers in place of the view.
        if not (is_public_page(view_func) and _may_use_shared_copy(request)):
            return None
        # Keyed before the view runs: a write meanwhile retires this generation,
        # so the page built now is never kept as if it were fresh.
        request.shared_copy_key = _page_key(request)
        stored = caching.cache.get(request.shared_copy_key)
        return _rebuild(stored) if stored is not None else None


def _may_use_shared_copy(request) -> bool:
    return settings.PUBLIC_PAGE_MAX_AGE > 0 and request.method == "GET" and not set(request.COOKIES) - HARMLESS_COOKIES


def _page_key(request) -> str:
    # Hashed: a search can make the URL longer than a cache key should be.
    where = hashlib.sha256(f"{request.META.get('HTTP_HOST', '')} {request.get_full_path()}".encode()).hexdigest()
    return caching.key_for("page", caching.generation(), where)


def _is_shareable(request, response) -> bool:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    match = getattr(request, "resolver_match", None)
    return (
        request.method in ("GET", "HEAD")
        and match is not None
        and is_public_page(match.func)
        and response.status_code == 200
        and not (user is not None and user.is_authenticated)
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and not (session is not None and (session.accessed and not session.is_empty()))
        and not getattr(response, "streaming", False)
    )


def _freeze(response) -> tuple:
    return response.content, list(response.items())


def _rebuild(stored: tuple) -> HttpResponse:
    content, headers = stored
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    return response
