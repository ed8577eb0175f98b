"""Site-wide security middleware: Permissions-Policy, session lifetimes and
the MFA gate in front of every privileged page."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from . import privileges

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


class PrivilegedMfaMiddleware:
    """The one gate for privileged requests (see network_portal.privileges).

    Staff and superusers need an authenticator step passed in this session for
    every page except signing in and out and the MFA steps themselves: staff
    see drafts, registers and other members' files all over the site. Holders
    of a registered permission need it on the views marked with that
    permission. Without it they are sent to the step, or, with no authenticator
    yet, to the page that explains set-up needs their invitation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or _is_exempt(request):
            return None
        if not _needs_privilege(request.user, view_func) or privileges.session_passed_mfa(request):
            return None
        return mfa_step_redirect(request)


# Signing in and out, password reset and email confirmation (they run before a
# session has a user, or end it), and the MFA pages (which guard themselves).
MFA_EXEMPT_URL_NAMES = frozenset(
    {
        "healthz",
        "account_login",
        "account_logout",
        "account_inactive",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_confirm_email",
        "account_email_verification_sent",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "mfa-invitation",
        "mfa-setup-needed",
    }
)


def _is_exempt(request) -> bool:
    match = request.resolver_match
    return match is not None and match.url_name in MFA_EXEMPT_URL_NAMES and not match.namespace


def _needs_privilege(user, view_func) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    permission = privileges.view_privileged_permission(view_func)
    return bool(permission) and user.has_perm(permission)


def mfa_step_redirect(request) -> HttpResponseRedirect:
    query = urlencode({"next": request.get_full_path()})
    if privileges.user_has_authenticator(request.user):
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
    return HttpResponseRedirect(f"{reverse('mfa-setup-needed')}?{query}")
