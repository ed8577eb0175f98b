"""Authenticator invitations: the only way a privileged account sets up its
authenticator app. Only a hash of each single-use token is stored."""

import hashlib
import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import privileges
from .models import MfaInvitation
from .outbox import notify
from .urls_util import absolute_url

MFA_INVITATION_EMAIL_KIND = "staff-invitation"


class InvitationInvalid(Exception):
    """The link is unknown, used, expired, or for an account that no longer needs it."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mfa_invitation_url(token: str) -> str:
    return absolute_url(reverse("mfa-invitation", args=[token]))


def mfa_invitation_issue(*, user, invited_by=None, send_email: bool = True) -> str:
    """A new single-use link for the user to set up an authenticator app; earlier
    unused links stop working. Returns the link (emailed too, unless send_email
    is False, as when a management command prints it for the first superuser)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        MfaInvitation.objects.filter(user=user, used_at__isnull=True).delete()
        invitation = MfaInvitation.objects.create(
            user=user,
            token_hash=_token_hash(token),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(hours=settings.MFA_INVITATION_HOURS),
        )
        url = mfa_invitation_url(token)
        if send_email:
            notify(
                template="staff-invitation",
                to_email=user.email,
                kind=MFA_INVITATION_EMAIL_KIND,
                dedupe_key=f"staff-invitation:{invitation.pk}",
                context={"invitation_url": url, "expires_at": invitation.expires_at, "invited_by": invited_by},
                user=user,
                sensitive=True,  # the link enrols an authenticator: never shown to staff
            )
    return url


def mfa_invitation_find(*, token: str) -> MfaInvitation:
    """The usable invitation this token opens, or InvitationInvalid. Reads only."""
    invitation = (
        MfaInvitation.objects.usable().select_related("user").filter(token_hash=_token_hash(token or "")).first()
    )
    if invitation is None or not invitation.user.is_active or not privileges.user_is_privileged(invitation.user):
        raise InvitationInvalid
    return invitation


def mfa_invitation_redeem(*, invitation_id: int, user) -> None:
    """Mark the invitation used, inside the transaction that saves the new
    authenticator: of two tabs racing with one link, only one enrols."""
    with transaction.atomic():
        claimed = MfaInvitation.objects.usable().filter(pk=invitation_id, user=user).update(used_at=timezone.now())
        if not claimed:
            raise InvitationInvalid


def privileged_role_granted(*, user, granted_by=None) -> str:
    """Someone became staff, a superuser or a researcher. An authenticator they
    set up before (with only a password) is removed, so the one they use from
    now on is the one set up through the invitation emailed here."""
    with transaction.atomic():
        Authenticator.objects.filter(user=user).delete()
        return mfa_invitation_issue(user=user, invited_by=granted_by)
