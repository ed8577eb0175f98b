"""Cached read-mostly figures: the headline, the coverage map data, the home page's lists.

Readers call `cached(key, build)`. The services whose writes change a figure call
`invalidate(key)` inside their transaction: the key is dropped at once and again
on commit, so a request that rebuilt it from pre-commit data in between cannot
leave a stale copy behind. Each invalidation also bumps a generation number that
the cached anonymous pages (network_portal.http_caching) carry in their keys.
The timeout is only a backstop for things that change with the clock rather
than with a write (a session ending, a meeting starting).
"""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

T = TypeVar("T")

logger = logging.getLogger(__name__)

HEADLINE = "figures:training-headline"
COVERAGE = "figures:training-coverage"
NEXT_MEETINGS = "figures:next-meetings"
# The testimonials shown on /training/, with their authors' names and councils.
TESTIMONIALS = "figures:testimonials"
LATEST_UPDATES = "figures:latest-updates"  # one entry per audience, see key_for()
GENERATION = "figures:generation"
NEVER = datetime.max.replace(tzinfo=UTC)

# Versions of rendered template fragments. A fragment's cache key carries its version,
# and the services whose writes change what it shows call bump(); the old copies are
# then never read again and expire on their own.
MEETING_LIST = "fragments:meeting-list"  # meetings, their seat counts, registrations
TRAINING_LIST = "fragments:training-list"  # sessions, their courses and seats left
FILTER_CHOICES = "fragments:filter-choices"  # councils and topics offered in filter forms and lists
# My account's sections, one copy per member. Besides the services, every save or delete of
# their models bumps these (each app's signals.py), so admin edits and cascades are covered.
MY_TRAINING = "fragments:my-training"  # bookings, their sessions and courses, feedback, follow-ups
MY_MEETINGS = "fragments:my-meetings"  # registrations, their meetings, calendar feeds
MY_RESOURCES = "fragments:my-resources"  # downloads, case studies, partner updates, resources
# The members' directory: who is listed, their names, roles, councils, appointments, interests.
DIRECTORY = "fragments:directory"
# A meeting's page also shows its papers and the actions tracker, with the names of the
# actions' owners (MEETING_LIST covers the meeting and its registrations, FILTER_CHOICES councils).
MEETING_PAGE = "fragments:meeting-page"
# Logins' last sign-in, which staff's member list shows (a sign-in bumps only this).
LOGINS = "fragments:logins"
ALL_FRAGMENTS = (
    MEETING_LIST, TRAINING_LIST, FILTER_CHOICES, MY_TRAINING, MY_MEETINGS, MY_RESOURCES, DIRECTORY, MEETING_PAGE,
    LOGINS,
)  # fmt: skip


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


def fragment_seconds() -> int:
    """How long a rendered fragment is kept: not at all when each process has a cache of its
    own (embedded mode), where a bump in one worker could not retire another worker's copy."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return 0
    return settings.FIGURES_CACHE_SECONDS


def version(name: str) -> int:
    value = cache.get(name)
    if value is None:
        cache.add(name, 1, timeout=None)
        value = cache.get(name, 1)
    return value


def versions(*names: str) -> str:
    """The current versions of these fragments, one string for a cache key; one round trip."""
    return _stamp(cache.get_many(names), names)


def versioned(
    key: str, names: Sequence[str], build: Callable[[], T], *, current: Callable[[T], bool] | None = None
) -> T:
    """A fragment kept under key with the versions of names it was built at, read in the
    same round trip as those versions (a key carrying the versions takes two) and built
    afresh once any of them has been bumped, or once current(value) says the clock has
    moved past it."""
    return versioned_many([(key, names, build, current or _always)])[0]


def versioned_many(entries: Sequence[tuple]) -> list:
    """versioned() for several (key, names, build[, current]) at once: one round trip for them all."""
    seconds = fragment_seconds()
    if not seconds:
        return [build() for _key, _names, build, *_current in entries]
    found = cache.get_many(list(dict.fromkeys(k for key, names, *_ in entries for k in [*names, key])))
    values, fresh = [], {}
    for key, names, build, *given in entries:
        current = given[0] if given else _always
        stamp = _stamp(found, names)
        kept = found.get(key)
        if kept is not None and kept[0] == stamp and current(kept[1]):
            values.append(kept[1])
            continue
        value = build()
        fresh[key] = (stamp, value)
        values.append(value)
    if fresh:
        cache.set_many(fresh, seconds)
    return values


def _always(value) -> bool:
    return True


def _stamp(found: dict, names) -> str:
    for name in set(names) - set(found):
        cache.add(name, 1, timeout=None)
        found[name] = cache.get(name, 1)
    return "-".join(str(found[name]) for name in names)


def next_change(key: str, compute: Callable[[], datetime | None]) -> str:
    """For a fragment key: the next moment its content changes by the clock alone
    (the soonest listed session starting, say). Kept under key and worked out
    again once it has passed; compute returns None when nothing is due."""
    if not fragment_seconds():
        return ""  # no fragment is kept, so its key needs no moment (and no query)
    moment = cache.get(key)
    if moment is None or moment <= timezone.now():
        moment = compute() or NEVER
        cache.set(key, moment, fragment_seconds())
    return moment.isoformat()


def bump(*names: str) -> None:
    """Retire every cached copy of these fragments: now, and again on commit, so a copy
    rendered from pre-commit data in between is retired too."""
    _bump(names)
    transaction.on_commit(lambda: _bump(names))


def bump_on_writes(name: str, models) -> None:
    """Bump name on every save and delete of these models, whoever writes: a service, the
    admin or a cascade. QuerySet.update() sends no signal: its callers bump name themselves."""

    def retire(**kwargs) -> None:
        bump(name)

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(retire, sender=model, weak=False, dispatch_uid=f"{name}:{model._meta.label}")


def _bump(names) -> None:
    try:
        for name in names:
            try:
                cache.incr(name)
            except ValueError:  # never read yet, so nothing is cached under it
                cache.add(name, 1, timeout=None)
    except (redis.RedisError, OSError) as exc:
        # A member's booking must not fail because Redis is down; copies kept
        # there expire within FIGURES_CACHE_SECONDS.
        logger.warning("Fragment versions %s not bumped, cache unavailable: %s", ", ".join(names), exc)


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
