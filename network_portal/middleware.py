"""Site-wide security middleware: Permissions-Policy, session lifetimes and
the staff MFA gate in front of the admin."""

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

# The browser features the portal never uses, switched off for every page.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    ]
)

SESSION_STARTED_KEY = "_np_started"
SESSION_SEEN_KEY = "_np_seen"
# Writing the last-seen time on every request would save the session on every
# page; a minute's granularity is plenty for an idle timeout of hours.
SEEN_GRANULARITY = 60


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class SessionLifetimeMiddleware:
    """Ends a signed-in session after SESSION_IDLE_TIMEOUT seconds without a
    request, or SESSION_ABSOLUTE_LIFETIME seconds after sign-in, whichever
    comes first. Also clears the session of an account deactivated since."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        expired = self._expire(request)
        if expired:
            return expired
        return self.get_response(request)

    def _expire(self, request):
        session = request.session
        if not request.user.is_authenticated:
            if "_auth_user_id" in session:
                # The account was deactivated or deleted: drop what is left of its session.
                session.flush()
            return None
        now = int(time.time())
        if SESSION_STARTED_KEY not in session:
            session_mark_start(request=request)
        started = session[SESSION_STARTED_KEY]
        seen = session.get(SESSION_SEEN_KEY, now)
        if now - seen > settings.SESSION_IDLE_TIMEOUT:
            return _sign_out(request, "You were logged out after a period of inactivity. Please log in again.")
        if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
            return _sign_out(request, "Your session has ended for your security. Please log in again.")
        if now - seen >= SEEN_GRANULARITY:
            session[SESSION_SEEN_KEY] = now
        return None


def session_mark_start(*, request, **kwargs) -> None:
    """Stamp the sign-in time (a user_logged_in receiver, so the stamp is saved
    with the login itself rather than by an extra write on the next page)."""
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now


def _sign_out(request, message: str):
    logout(request)
    messages.info(request, message)
    next_url = request.get_full_path() if request.method == "GET" else None
    return redirect_to_login(next_url or "/", reverse(settings.LOGIN_URL))


class StaffMfaMiddleware:
    """The admin opens only for staff who passed the MFA step in this session
    (allauth records each step); staff without an authenticator app are sent
    to set one up. Staff cannot remove theirs (adapters.MFAAdapter)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_PATH.strip("/") + "/"

    def __call__(self, request):
        if (
            request.path.startswith(self.admin_prefix)
            and request.user.is_authenticated
            and request.user.is_staff
            and not session_passed_mfa(request)
        ):
            if not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
                messages.info(request, "Staff accounts need two-factor authentication. Set up an authenticator app.")
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return self.get_response(request)


def session_passed_mfa(request) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))
