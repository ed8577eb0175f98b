"""Logged-in sessions for benchmarks and query budgets, made directly in the session store.

No password is ever set, so nothing here is a usable login outside the benchmark.
Staff sessions carry an MFA step, as the privileged-page gate (PrivilegedMfaMiddleware) requires."""

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from members.models import User

STAFF_EMAIL = "bench-staff@scale.invalid"


def staff_user() -> User:
    user, created = User.objects.get_or_create(
        email=STAFF_EMAIL,
        defaults={"first_name": "Bench", "last_name": "Staff", "is_staff": True, "is_superuser": True},
    )
    if created:
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def session_key(user: User) -> str:
    """A session as Django's login() plus allauth's MFA step would store it."""
    store = SessionStore()
    now = time.time()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    store[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "password", "at": now, "email": user.email}]
    if user.is_staff:
        store[AUTHENTICATION_METHODS_SESSION_KEY].append({"method": "mfa", "at": now, "type": "totp"})
    store.create()
    return store.session_key


def log_in(client, user: User) -> None:
    """Log a django.test.Client in with such a session."""
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key(user)


def cookie_header(user: User) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={session_key(user)}"
