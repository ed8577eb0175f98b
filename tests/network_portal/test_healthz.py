import socket

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


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
