"""The session store reads a session with one SQL statement (network_portal/sessions.py):
it loads what Django's store loads, and nothing for a key that is unknown or expired."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from network_portal.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "/account/"


def test_a_saved_session_loads_with_its_data():
    saved = SessionStore()
    saved["choice"] = "kept"
    saved.save()

    loaded = SessionStore(saved.session_key)

    assert loaded["choice"] == "kept"
    assert loaded.session_key == saved.session_key


@pytest.mark.parametrize("key", ["no-such-session-key", ""])
def test_an_unknown_key_loads_nothing_and_saving_starts_a_new_session(key):
    store = SessionStore(key or None)

    assert dict(store.items()) == {}
    store["choice"] = "new"
    store.save()
    assert store.session_key not in ("no-such-session-key", None)


def test_an_expired_session_signs_nobody_in(client):
    client.force_login(UserFactory())
    assert client.get(ACCOUNT).status_code == 200

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
