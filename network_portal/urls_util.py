"""Small helpers for the portal's own URLs."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """The full address of a site path ("/meetings/3/"), for emails and
    calendar feeds that are read away from the site. SITE_URL has no trailing slash."""
    return f"{settings.SITE_URL}{path}"
