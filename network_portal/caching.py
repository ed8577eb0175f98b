"""Cached read-mostly figures: the headline, the coverage map data, the home page's lists.

Readers call `cached(key, build)`. The services whose writes change a figure call
`invalidate(key)` inside their transaction: the key is dropped at once and again
on commit, so a request that rebuilt it from pre-commit data in between cannot
leave a stale copy behind. Each invalidation also bumps a generation number that
the cached anonymous pages (network_portal.http_caching) carry in their keys.
The timeout is only a backstop for things that change with the clock rather
than with a write (a session ending, a meeting starting).
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

HEADLINE = "figures:training-headline"
COVERAGE = "figures:training-coverage"
NEXT_MEETINGS = "figures:next-meetings"
TESTIMONIALS = "figures:testimonials"  # not cached itself: invalidating it retires cached public pages
LATEST_UPDATES = "figures:latest-updates"  # one entry per audience, see key_for()
GENERATION = "figures:generation"


def key_for(base: str, *parts: object) -> str:
    return ":".join([base, *map(str, parts)])


def cached(key: str, build: Callable[[], T]) -> T:
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.FIGURES_CACHE_SECONDS)
    return value


def invalidate(*bases: str) -> None:
    keys = [key for base in bases for key in _variants(base)]
    _drop(keys)
    transaction.on_commit(lambda: _drop(keys))


def generation() -> int:
    """Bumped by every invalidation; cached public pages carry it in their key."""
    value = cache.get(GENERATION)
    if value is None:
        cache.add(GENERATION, 1, timeout=None)
        value = cache.get(GENERATION, 1)
    return value


def _drop(keys: list[str]) -> None:
    cache.delete_many(keys)
    try:
        cache.incr(GENERATION)
    except ValueError:  # not set yet: nothing cached under a generation to retire
        cache.add(GENERATION, 1, timeout=None)


def _variants(base: str) -> list[str]:
    if base == LATEST_UPDATES:
        return [key_for(base, audience) for audience in ("public", "members")]
    return [base]
