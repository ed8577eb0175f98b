"""Shared helpers for the outbox and schedule tests: a test email template
(kept in memory, extending the real layouts), a way to cut the broker, and
waiting for a row's status."""

import time
from contextlib import contextmanager

import pytest

from network_portal.celery import app as celery_app
from network_portal.models import OutboxEmail
from network_portal.outbox import notify

TEMPLATES = {
    "emails/test-notice-subject.txt": "Notice for {{ name }}\n",
    "emails/test-notice-body.txt": (
        '{% extends "emails/base.txt" %}{% block content %}Hello {{ name }},\n\n'
        "Details: {{ site_url }}/meetings/?from=email&id={{ number }}\n{% endblock %}"
    ),
    "emails/test-notice-body.html": (
        '{% extends "emails/base.html" %}{% block content %}<p>Hello {{ name }},</p>'
        '<p><a href="{{ site_url }}/meetings/?from=email&amp;id={{ number }}">Details</a></p>{% endblock %}'
    ),
}

# A port on loopback where nothing listens.
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def email_templates(settings):
    """Serve the test-notice templates from memory, before the real ones."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **engine,
            "APP_DIRS": False,
            "OPTIONS": {
                **engine["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", TEMPLATES),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    return TEMPLATES


@pytest.fixture
def fast_passwords(settings):
    # The factories hash a password per user; the default hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def send_notice(*, dedupe_key: str, to_email: str = "cllr@example.org", name: str = "Ada", **kwargs):
    context = {"name": name, "number": 7, "reason": "You get this email because you took part in a test."}
    context.update(kwargs.pop("context", {}))
    return notify(
        template="test-notice",
        to_email=to_email,
        kind=kwargs.pop("kind", "test"),
        dedupe_key=dedupe_key,
        context=context,
        **kwargs,
    )


def _forget_broker_pools() -> None:
    # The app caches its connection and producer pools. kombu keeps the pools
    # themselves in a registry keyed by broker URL, so forgetting the app's
    # references makes the next publish use the pools for the current URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_down():
    """Point this process's Celery app at a port where no broker listens."""
    original = celery_app.conf.broker_url
    _forget_broker_pools()
    celery_app.conf.broker_url = DEAD_BROKER_URL
    try:
        yield
    finally:
        _forget_broker_pools()
        celery_app.conf.broker_url = original


def wait_for_status(row: OutboxEmail, status: str, timeout: float = 30) -> OutboxEmail:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status == status:
            return row
        time.sleep(0.05)
    raise AssertionError(f"outbox email {row.pk} is {row.status}, not {status}")


def pending_rows(count: int, *, key_prefix: str = "test:bulk") -> list[OutboxEmail]:
    """Rows written directly (no on-commit wake-up), as a broker outage would leave them."""
    return OutboxEmail.objects.bulk_create(
        OutboxEmail(
            to_email=f"member{n}@example.org",
            subject=f"Reminder {n}",
            body_text=f"Reminder number {n}\n",
            body_html=f"<p>Reminder number {n}</p>",
            kind="test",
            dedupe_key=f"{key_prefix}:{n}",
        )
        for n in range(count)
    )
