"""Per-member limits on the POSTs that write on a member's behalf (bookings,
meeting registrations, case studies, feedback).

Counters live in Django's cache (Redis in production), so every web process
shares them. A limit of "N/period" allows N POSTs per member in each fixed
window of that period; the (N+1)th gets the styled 429 page before the view
runs, so nothing is written. Visitors who are not logged in (feedback by
emailed link) are counted per link instead.

If the cache is unreachable the request is allowed: a booking must not fail
because Redis is down (the outbox carries its email once Redis is back).
"""

import functools
import hashlib
import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/h" -> (10, 3600): at most 10 in each hour."""
    count, _, period = rate.partition("/")
    if not count.isdigit() or period not in PERIODS:
        raise ValueError(f"Rate {rate!r} must look like 10/m, with a period of s, m, h or d.")
    return int(count), PERIODS[period]


def rate_limit(scope: str):
    """Limit POSTs to the wrapped view by the rate settings.RATE_LIMITS[scope]."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and not rate_limit_consume(scope=scope, who=_who(request)):
                return too_many_requests(request, scope=scope)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def rate_limit_consume(*, scope: str, who: str, now: float | None = None) -> bool:
    """Count one attempt; False when this one is over the limit."""
    limit, period = parse_rate(settings.RATE_LIMITS[scope])
    window = int((now if now is not None else time.time()) // period)
    key = f"ratelimit:{scope}:{who}:{window}"
    try:
        count = _count(key, period)
    except (redis.RedisError, OSError) as exc:
        logger.warning("Rate limit %s not applied, cache unavailable: %s", scope, exc)
        return True
    return count <= limit


def _count(key: str, period: int) -> int:
    # add() is a no-op when the key exists and incr() is atomic in Redis, so
    # two requests at once can never both read the same count.
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this is the window's first hit.
        cache.add(key, 1, timeout=period)
        return 1


def too_many_requests(request, *, scope: str):
    _, period = parse_rate(settings.RATE_LIMITS[scope])
    response = render(request, "429.html", status=429)
    # Seconds until the current window ends and the counter starts again.
    response["Retry-After"] = str(period - int(time.time()) % period)
    return response


def _who(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    # Not logged in means an emailed link, whose signed token names one booking
    # or registration: count per link. A client address can be shared by a
    # whole council office.
    return f"link:{hashlib.sha256(request.path.encode()).hexdigest()[:32]}"
