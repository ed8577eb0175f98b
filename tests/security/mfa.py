"""Staff MFA helpers for tests."""

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from network_portal.privileges import user_is_privileged

_original_force_login = Client.force_login


def totp_enrol(user) -> str:
    """Give the user an authenticator app; returns its secret."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing:
        return get_adapter().decrypt(existing.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in 30-second steps)."""
    counter = int(time.time()) // 30 + offset
    return format_hotp_value(hotp_value(secret, counter))


def force_login_without_mfa(client, user, backend=None):
    """Signed in with the password step only: a privileged account that has not
    passed its authenticator step in this session."""
    _original_force_login(client, user, backend)


def force_login_with_mfa(client, user, backend=None):
    """force_login skips the password step; for privileged accounts (staff,
    superusers, researchers) it also stands in for the MFA step, as if they had
    set up an authenticator app through their invitation and used it."""
    _original_force_login(client, user, backend)
    if user_is_privileged(user):
        authenticator_id = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).values_list(
            "pk", flat=True
        ).first() or _enrol_id(user)
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "mfa", "at": time.time(), "id": authenticator_id, "type": "totp"}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()


def _enrol_id(user) -> int:
    totp_enrol(user)
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).pk
