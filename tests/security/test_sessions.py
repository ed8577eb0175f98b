"""Session lifetimes: idle timeout, absolute lifetime, logout and deactivation."""

import time

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, member):
    response = client.post(reverse("account_login"), {"login": member.user.email, "password": PASSWORD})
    assert response.status_code == 302


def _is_signed_in(client) -> bool:
    response = client.get(reverse("members:account"))
    return response.status_code == 200


def test_session_ends_after_the_idle_timeout(client, settings, london_councils):
    member = MemberFactory()
    with time_machine.travel(time.time(), tick=False) as clock:
        _sign_in(client, member)
        clock.shift(settings.SESSION_IDLE_TIMEOUT - 120)
        assert _is_signed_in(client)
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = client.get(reverse("members:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not _is_signed_in(client)


def test_activity_keeps_the_session_until_the_absolute_lifetime(client, settings, london_councils):
    member = MemberFactory()
    step = settings.SESSION_IDLE_TIMEOUT // 2
    with time_machine.travel(time.time(), tick=False) as clock:
        _sign_in(client, member)
        elapsed = 0
        while elapsed + step < settings.SESSION_ABSOLUTE_LIFETIME:
            clock.shift(step)
            elapsed += step
            assert _is_signed_in(client), f"signed out after {elapsed} s of activity"
        clock.shift(settings.SESSION_ABSOLUTE_LIFETIME - elapsed + 1)
        assert not _is_signed_in(client)


def test_logout_deletes_the_session(client, london_councils):
    _sign_in(client, MemberFactory())
    session_key = client.session.session_key
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not _is_signed_in(client)


def test_deactivating_an_account_ends_its_session(client, london_councils):
    member = MemberFactory()
    _sign_in(client, member)
    assert _is_signed_in(client)
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])
    response = client.get(reverse("members:account"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
