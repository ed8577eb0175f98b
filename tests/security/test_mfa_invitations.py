"""Privileged accounts set up their authenticator app only through a
single-use invitation, emailed when staff grant the role."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.services import member_erase
from network_portal import invitations
from network_portal.models import MfaInvitation, OutboxEmail
from tests.factories import PASSWORD, MemberFactory, UserFactory
from tests.security.mfa import totp_code, totp_enrol
from tests.training.factories import ResearchProjectFactory, researcher_group

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invitation/[\w-]+/")


def _password_step(client, user, next_url=""):
    data = {"login": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("account_login"), data)


def _invitation_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _has_authenticator(user) -> bool:
    return Authenticator.objects.filter(user=user).exists()


def _grant_in_admin(admin, user, *, is_staff=False, groups=()):
    return admin.post(
        reverse("admin:members_user_change", args=[user.pk]),
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": "on",
            **({"is_staff": "on"} if is_staff else {}),
            "groups": [group.pk for group in groups],
            "user_permissions": [],
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )


@pytest.fixture
def admin(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def new_staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def test_making_someone_staff_in_the_admin_emails_them_an_invitation(admin, london_councils):
    user = MemberFactory().user
    response = _grant_in_admin(admin, user, is_staff=True)
    assert response.status_code == 302
    email = OutboxEmail.objects.get(kind="staff-invitation")
    assert email.to_email == user.email
    url = LINK.search(email.body_text).group(0)
    assert url in email.body_html
    invitation = MfaInvitation.objects.get(user=user)
    assert invitation.used_at is None
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)
    # Only a hash is stored: the link itself is nowhere in the table.
    assert url.rstrip("/").rsplit("/", 1)[1] not in invitation.token_hash


def test_adding_someone_to_the_researcher_group_emails_them_an_invitation(admin):
    user = UserFactory()
    _grant_in_admin(admin, user, groups=[researcher_group()])
    assert OutboxEmail.objects.filter(kind="staff-invitation", to_email=user.email).count() == 1


def test_saving_an_account_whose_role_did_not_change_sends_nothing(admin):
    user = UserFactory(is_staff=True)
    _grant_in_admin(admin, user, is_staff=True)
    _grant_in_admin(admin, UserFactory())
    assert not OutboxEmail.objects.filter(kind="staff-invitation").exists()


def test_granting_the_role_removes_an_authenticator_set_up_with_a_password_alone(admin):
    user = UserFactory()
    totp_enrol(user)  # as a plain account, anyone with its password could have done this
    _grant_in_admin(admin, user, groups=[researcher_group()])
    assert not _has_authenticator(user)


def test_the_invitation_lasts_the_configured_number_of_hours(settings, new_staff):
    settings.MFA_INVITATION_HOURS = 5
    invitations.mfa_invitation_issue(user=new_staff)
    invitation = MfaInvitation.objects.get(user=new_staff)
    assert invitation.expires_at - invitation.created_at == timedelta(hours=5)


def test_a_password_only_attacker_cannot_enrol_an_authenticator_on_a_staff_account(new_staff, london_councils):
    invitations.mfa_invitation_issue(user=new_staff)  # in the real owner's mailbox, not the attacker's
    attacker = Client()
    _password_step(attacker, new_staff)
    assert attacker.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa-setup-needed")
    # Posting a code for a secret of the attacker's choosing enrols nothing.
    secret = generate_totp_secret()
    session = attacker.session
    session["mfa.totp.secret"] = secret
    session.save()
    assert attacker.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}).status_code == 302
    # Entering the password again does not open set-up either.
    attacker.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert attacker.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa-setup-needed")
    assert not _has_authenticator(new_staff)
    for path in ("/admin/", reverse("training:dashboard"), reverse("training:research")):
        response = attacker.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa-setup-needed")), path


def test_the_invitee_sets_up_the_app_and_goes_straight_on(new_staff):
    path = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    client = Client()
    login = client.get(path)
    assert login["Location"].startswith(reverse("account_login"))
    assert _password_step(client, new_staff, next_url=path)["Location"] == path
    assert client.get(path)["Location"] == reverse("mfa_activate_totp")
    # No "confirm your password" step straight after signing in.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert activated["Location"] == reverse("mfa_view_recovery_codes")
    # Recovery codes are generated with the authenticator app.
    assert Authenticator.objects.filter(user=new_staff, type=Authenticator.Type.RECOVERY_CODES).exists()
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert f'href="{reverse("admin:index")}"' in codes.content.decode()
    # Entering the first code was the authenticator step: the admin opens at once.
    assert client.get(reverse("admin:index")).status_code == 200
    assert MfaInvitation.objects.get(user=new_staff).used_at is not None


def _open_as_owner(token_path, user):
    client = Client()
    _password_step(client, user)
    return client, client.get(token_path)


def test_a_used_invitation_gets_a_clear_page_and_changes_nothing(new_staff):
    path = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    client, _ = _open_as_owner(path, new_staff)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    before = list(Authenticator.objects.filter(user=new_staff).values_list("pk", "data"))
    _, again = _open_as_owner(path, new_staff)
    assert again.status_code == 400
    assert "This invitation link is not valid" in again.content.decode()
    assert list(Authenticator.objects.filter(user=new_staff).values_list("pk", "data")) == before


def test_an_expired_invitation_gets_a_clear_page_and_changes_nothing(new_staff):
    path = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    invitation = MfaInvitation.objects.get(user=new_staff)
    MfaInvitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(hours=73), expires_at=timezone.now() - timedelta(hours=1)
    )
    client, response = _open_as_owner(path, new_staff)
    assert response.status_code == 400
    assert "This invitation link is not valid" in response.content.decode()
    assert client.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa-setup-needed")
    assert MfaInvitation.objects.get(pk=invitation.pk).used_at is None
    assert not _has_authenticator(new_staff)


def test_a_forged_invitation_gets_a_clear_page(new_staff):
    invitations.mfa_invitation_issue(user=new_staff)
    response = Client().get(reverse("mfa-invitation", args=["made-up-token"]))
    assert response.status_code == 400
    assert "Nothing has been changed" in response.content.decode()


def test_an_older_invitation_stops_working_when_a_new_one_is_sent(new_staff):
    old = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    new = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    assert _open_as_owner(old, new_staff)[1].status_code == 400
    assert _open_as_owner(new, new_staff)[1]["Location"] == reverse("mfa_activate_totp")


def test_an_invitation_opened_by_another_signed_in_account_is_refused(new_staff):
    path = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    someone_else = UserFactory(is_staff=True)
    client, response = _open_as_owner(path, someone_else)
    assert response.status_code == 403
    assert client.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa-setup-needed")
    assert MfaInvitation.objects.get(user=new_staff).used_at is None


def test_an_invitation_stops_working_once_the_role_is_taken_away(new_staff):
    path = _invitation_path(invitations.mfa_invitation_issue(user=new_staff))
    new_staff.is_staff = new_staff.is_superuser = False
    new_staff.save()
    assert _open_as_owner(path, new_staff)[1].status_code == 400


def test_a_researcher_without_mfa_asking_for_the_package_gets_the_step_not_a_file():
    researcher = UserFactory()
    researcher.groups.add(researcher_group())
    project = ResearchProjectFactory()
    project.researchers.add(researcher)
    client = Client()
    _password_step(client, researcher)
    response = client.get(reverse("training:research-package", args=[project.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa-setup-needed"))
    assert "Content-Disposition" not in response


def test_a_researcher_with_an_app_signs_in_with_a_code_and_downloads(london_councils):
    researcher = UserFactory()
    researcher.groups.add(researcher_group())
    project = ResearchProjectFactory()
    project.researchers.add(researcher)
    secret = totp_enrol(researcher)
    client = Client()
    assert _password_step(client, researcher)["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    response = client.get(reverse("training:research-package", args=[project.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"


def test_invite_staff_prints_a_working_link_for_the_first_superuser(new_staff):
    out = StringIO()
    call_command("invite_staff", "--email", new_staff.email, stdout=out)
    url = LINK.search(out.getvalue()).group(0)
    # Printed, not emailed: the person running the command hands it over.
    assert not OutboxEmail.objects.filter(kind="staff-invitation").exists()
    assert _open_as_owner(_invitation_path(url), new_staff)[1]["Location"] == reverse("mfa_activate_totp")


def test_invite_staff_refuses_an_account_that_is_not_privileged():
    with pytest.raises(CommandError, match="not staff"):
        call_command("invite_staff", "--email", UserFactory().email, stdout=StringIO())
    assert not MfaInvitation.objects.exists()


def test_the_admin_action_replaces_a_lost_authenticator_with_an_invitation(admin):
    staff = UserFactory(is_staff=True)
    totp_enrol(staff)
    admin.post(
        reverse("admin:members_user_changelist"),
        {"action": "reset_authenticator", "_selected_action": [staff.pk]},
    )
    assert not _has_authenticator(staff)
    assert OutboxEmail.objects.filter(kind="staff-invitation", to_email=staff.email).count() == 1


def test_seed_demo_prints_the_demo_staff_invitation_beside_its_login(settings, london_councils):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "Demo staff login: demo-staff@example.org / demo-staff-password" in printed
    path = _invitation_path(LINK.search(printed).group(0))
    client = Client()
    client.post(reverse("account_login"), {"login": "demo-staff@example.org", "password": "demo-staff-password"})
    assert client.get(path)["Location"] == reverse("mfa_activate_totp")


def test_erasing_an_account_deletes_its_invitations(new_staff):
    invitations.mfa_invitation_issue(user=new_staff)
    member_erase(user=new_staff)
    assert not MfaInvitation.objects.filter(user=new_staff).exists()
