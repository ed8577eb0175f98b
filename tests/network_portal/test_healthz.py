import socket
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from network_portal.models import OutboxEmail

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "outbox": {"pending": 0, "oldest_pending_seconds": 0},
    }


def test_healthz_reports_the_outbox_backlog_and_stays_200(client):
    now = timezone.now()
    for n, (status, due_ago) in enumerate(
        [
            (OutboxEmail.Status.PENDING, timedelta(minutes=5)),  # the oldest due: 300 s
            (OutboxEmail.Status.PENDING, timedelta(seconds=10)),
            (OutboxEmail.Status.SENDING, timedelta(minutes=1)),  # in flight counts as not yet sent
            (OutboxEmail.Status.PENDING, -timedelta(minutes=30)),  # a retry not due yet: not backlog
            (OutboxEmail.Status.SENT, timedelta(hours=2)),
            (OutboxEmail.Status.FAILED, timedelta(hours=3)),
        ]
    ):
        OutboxEmail.objects.create(
            to_email=f"r{n}@example.org",
            subject="s",
            body_text="b",
            kind="test",
            dedupe_key=f"test:health:{n}",
            status=status,
            not_before=now - due_ago,
            sent_at=now if status == OutboxEmail.Status.SENT else None,
        )

    with time_machine.travel(now, tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["outbox"] == {"pending": 3, "oldest_pending_seconds": 300}


def test_healthz_reports_embedded_broker_without_redis(client, settings):
    settings.REDIS_URL = None
    assert client.get("/healthz").json()["broker"] == "embedded"


def test_healthz_reports_broker_down_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_database_is_unreachable_and_recovers(client):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_free_port())
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "down"
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port
    assert client.get("/healthz").status_code == 200


def _free_port() -> int:
    # A port nothing listens on: bind, read the number, release it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
