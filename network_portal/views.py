import logging

import redis
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import door_register
from .http_caching import public_page
from .outbox.services import outbox_backlog

logger = logging.getLogger(__name__)


@public_page
def home(request):
    return render(request, "network_portal/home.html")


@public_page
def accessibility(request):
    return render(request, "network_portal/accessibility.html")


@public_page
def privacy(request):
    return render(request, "network_portal/privacy.html")


@never_cache
def healthz(request):
    database = _database_status()
    body = {"database": database, "broker": _broker_status()}
    if database == "ok":
        body["outbox"] = _outbox_backlog()
    return JsonResponse(body, status=200 if database == "ok" else 503)


def _outbox_backlog() -> dict | str:
    # A backlog is for people to read, not a reason for a load balancer to
    # drop this web host: the status stays 200 while the database answers.
    try:
        return outbox_backlog()
    except DatabaseError as exc:
        logger.warning("Health check: outbox backlog unreadable: %s", exc)
        return "unknown"


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("Health check: database unreachable: %s", exc)
        # Drop the broken connection so the next request reconnects by itself.
        connection.close_if_unusable_or_obsolete()
        return "down"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.RedisError as exc:
        logger.warning("Health check: broker unreachable: %s", exc)
        return "down"
    return "ok"


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


@staff_member_required
def door_registers_today(request):
    """Today's sessions and meetings, each linking to its door register."""
    return render(request, "network_portal/door_registers_today.html", {"events": door_register.today()})
