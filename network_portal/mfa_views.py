"""Setting up an authenticator app by invitation, for privileged accounts.

A privileged account reaches allauth's set-up page only from a valid
invitation opened in a session signed in as that account: a password alone
never gets there. The invitation also stands in for allauth's "confirm your
password again" step, which would otherwise follow the sign-in at once."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import ActivateTOTPView
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from . import invitations, privileges

INVITATION_SESSION_KEY = "_np_mfa_invitation"
NEXT_SESSION_KEY = "_np_mfa_next"


@never_cache
def invitation_open(request, token):
    try:
        invitation = invitations.mfa_invitation_find(token=token)
    except invitations.InvitationInvalid:
        return _invalid(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != invitation.user_id:
        return render(request, "network_portal/mfa_invitation_other_account.html", status=403)
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    request.session[NEXT_SESSION_KEY] = _safe_next(request) or _default_destination(request.user)
    record_authentication(request, request.user, method="invitation", reauthenticated=True)
    return redirect("mfa_activate_totp")


@never_cache
def setup_needed(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if privileges.user_has_authenticator(request.user) or not privileges.user_is_privileged(request.user):
        return redirect(_safe_next(request) or "home")
    return render(request, "network_portal/mfa_setup_needed.html")


class InvitedActivateTOTPView(ActivateTOTPView):
    """allauth's set-up page, opened for privileged accounts only by an invitation."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if (
            privileges.user_is_privileged(request.user)
            and not request.session.get(INVITATION_SESSION_KEY)
            and not privileges.user_has_authenticator(request.user)
        ):
            return redirect("mfa-setup-needed")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        invitation_id = self.request.session.get(INVITATION_SESSION_KEY)
        try:
            with transaction.atomic():
                if invitation_id:
                    invitations.mfa_invitation_redeem(invitation_id=invitation_id, user=self.request.user)
                response = super().form_valid(form)
        except invitations.InvitationInvalid:
            self.request.session.pop(INVITATION_SESSION_KEY, None)
            return _invalid(self.request)
        if invitation_id:
            # Entering a code from the new app is the authenticator step itself:
            # the person goes on without being asked for another code at once.
            self.request.session.pop(INVITATION_SESSION_KEY, None)
            authenticator = Authenticator.objects.get(user=self.request.user, type=Authenticator.Type.TOTP)
            record_authentication(self.request, self.request.user, method="mfa", type="totp", id=authenticator.pk)
        return response


activate_totp = InvitedActivateTOTPView.as_view()


def continue_url(request) -> str:
    """Where the recovery-codes page sends the person once the codes are saved."""
    return request.session.get(NEXT_SESSION_KEY) or reverse("mfa_index")


def _invalid(request):
    context = {"hours": settings.MFA_INVITATION_HOURS}
    return render(request, "network_portal/mfa_invitation_invalid.html", context, status=400)


def _safe_next(request) -> str:
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _default_destination(user) -> str:
    return reverse("admin:index") if user.is_staff else resolve_url(settings.LOGIN_REDIRECT_URL)
