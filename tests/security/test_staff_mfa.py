"""Staff must pass TOTP (or a recovery code) through allauth before the admin opens."""

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, MemberFactory, UserFactory
from tests.security.mfa import force_login_without_mfa, totp_code, totp_enrol

pytestmark = pytest.mark.django_db


def _password_step(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _reauthenticate(client, next_url):
    # allauth asks for the password again before MFA settings change.
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD, "next": next_url})
    assert response.status_code == 302


def test_staff_without_an_authenticator_are_told_set_up_comes_by_invitation(client, staff_user):
    _password_step(client, staff_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa-setup-needed')}?next=%2Fadmin%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "invitation link we emailed" in page.content.decode()


def test_staff_granted_the_role_mid_session_confirm_a_code_before_the_admin_opens(client, staff_user):
    secret = totp_enrol(staff_user)
    force_login_without_mfa(client, staff_user)
    gate = client.get(reverse("admin:index"))
    assert gate.status_code == 302
    assert gate["Location"].startswith(reverse("mfa_reauthenticate"))
    confirmed = client.post(gate["Location"], {"code": totp_code(secret)})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_with_totp_log_in_through_the_mfa_step_and_reach_the_admin(client, staff_user):
    secret = totp_enrol(staff_user)
    response = _password_step(client, staff_user)
    assert response["Location"] == reverse("mfa_authenticate")
    # Before the code, the staff member is not signed in at all.
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:login"))["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed(client, staff_user):
    secret = totp_enrol(staff_user)
    _password_step(client, staff_user)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_recovery_code_stands_in_for_the_app(client, staff_user):
    totp_enrol(staff_user)
    codes = RecoveryCodes.activate(staff_user).generate_codes()
    _password_step(client, staff_user)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_login_page_goes_through_allauth(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_members_who_are_not_staff_are_refused_the_admin_login(client, london_councils):
    client.force_login(MemberFactory().user)
    assert client.get(reverse("admin:login")).status_code == 403
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


def test_staff_cannot_remove_their_authenticator_app(client, staff_user):
    secret = totp_enrol(staff_user)
    _password_step(client, staff_user)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    _reauthenticate(client, reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"), {})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Authenticator.objects.filter(user=staff_user, type=Authenticator.Type.TOTP).exists()


def test_members_may_remove_their_own_authenticator_app(client, london_councils):
    user = UserFactory()
    MemberFactory(user=user)
    secret = totp_enrol(user)
    _password_step(client, user)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    _reauthenticate(client, reverse("mfa_deactivate_totp"))
    assert client.post(reverse("mfa_deactivate_totp"), {}).status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@pytest.fixture
def admin_path(settings):
    import network_portal.urls

    settings.ADMIN_PATH = "staff-area/"
    importlib.reload(network_portal.urls)
    settings.ROOT_URLCONF = "network_portal.urls"  # clears the URL caches
    yield "/staff-area/"
    settings.ADMIN_PATH = "admin/"
    importlib.reload(network_portal.urls)


def test_the_admin_path_is_a_setting_and_the_mfa_gate_follows_it(admin_path, staff_user):
    client = Client()
    assert reverse("admin:index") == admin_path
    assert client.get("/admin/").status_code == 404
    _password_step(client, staff_user)
    response = client.get(admin_path)
    assert response["Location"].startswith(reverse("mfa-setup-needed"))
