"""Staff give a colleague the staff role; the colleague sets up an authenticator
app through the emailed invitation and reaches the dashboard. Their password
alone, in another browser, never gets in. Sign-in asks at most two things
after the password."""

import re

import pytest
from playwright.sync_api import expect

from network_portal.models import OutboxEmail
from tests.browser.conftest import visit
from tests.factories import PASSWORD, UserFactory
from tests.security.mfa import totp_code, totp_enrol

pytestmark = pytest.mark.browser

DASHBOARD_HEADING = "Training evidence dashboard"


@pytest.fixture
def new_context(chromium, live_server, axe):
    """Another browser, sharing the axe tracker so its pages must be scanned too."""
    contexts = []

    def open_page():
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        browser_page = context.new_page()
        browser_page.on("load", lambda p: axe.loaded.append(p.url))
        return browser_page

    yield open_page
    for context in contexts:
        context.close()


def _password(page, axe, email):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def _heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def _sign_in_with_code(page, axe, user, secret, then: str):
    visit(page, axe, then)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    _password(page, axe, user.email)
    prompts = [_heading(page)]
    axe.scan(page)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return prompts


def test_staff_grant_the_role_and_the_invitee_sets_up_totp_and_reaches_the_dashboard(
    page, axe, new_context, mailoutbox
):
    granter = UserFactory(email="lead@thrive.test", is_staff=True, is_superuser=True)
    invitee = UserFactory(email="new.colleague@thrive.test", first_name="Amara", last_name="Osei")

    # Staff give the colleague the staff role in the admin.
    _sign_in_with_code(page, axe, granter, totp_enrol(granter), then=f"/admin/members/user/{invitee.pk}/change/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change user")
    axe.scan(page)
    page.get_by_label("Staff status").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("We emailed them an invitation")).to_be_visible()
    axe.scan(page)
    assert OutboxEmail.objects.get(kind="staff-invitation", to_email=invitee.email).status == "sent"
    # The outbox row's body is redacted once sent (a credential link); the link is in the delivered email.
    (delivered,) = [message for message in mailoutbox if message.to == [invitee.email]]
    invitation_path = "/" + re.search(r"https?://\S+(/accounts/invitation/\S+/)", delivered.body).group(1).lstrip("/")

    # Before the invitation is used, the password alone opens nothing privileged.
    attacker = new_context()
    visit(attacker, axe, "/accounts/login/")
    _password(attacker, axe, invitee.email)
    axe.scan(attacker)
    for path in ("/training/dashboard/", "/accounts/2fa/totp/activate/", "/admin/"):
        visit(attacker, axe, path)
        expect(attacker.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")

    # The invitee opens the link from the email, signs in, and sets up the app.
    invitee_page = new_context()
    visit(invitee_page, axe, invitation_path)
    _password(invitee_page, axe, invitee.email)
    prompts = [_heading(invitee_page)]
    axe.scan(invitee_page)
    secret = invitee_page.get_by_label("Authenticator secret").input_value()
    invitee_page.get_by_label("Authenticator code").fill(totp_code(secret))
    invitee_page.get_by_role("button", name="Activate").click()
    invitee_page.wait_for_load_state("load")
    prompts.append(_heading(invitee_page))
    axe.scan(invitee_page)
    invitee_page.get_by_role("link", name="Continue").click()
    expect(invitee_page.get_by_role("heading", level=1)).to_have_text("Run the network")
    axe.scan(invitee_page)
    # Password, then set-up and the recovery codes: two prompts, no "confirm your password".
    assert prompts == ["Set up your authenticator app", "Recovery codes"]
    visit(invitee_page, axe, "/training/dashboard/")
    expect(invitee_page.get_by_role("heading", level=1)).to_have_text(DASHBOARD_HEADING)

    # The same password in yet another browser stops at the code, and the dashboard stays shut.
    again = new_context()
    visit(again, axe, "/accounts/login/")
    _password(again, axe, invitee.email)
    expect(again.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    axe.scan(again)
    visit(again, axe, "/training/dashboard/")
    expect(again.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    expect(again.get_by_text(DASHBOARD_HEADING)).to_have_count(0)
    # The used link changes nothing for anyone who finds it later.
    visit(again, axe, invitation_path)
    expect(again.get_by_role("heading", level=1)).to_have_text("This invitation link is not valid")


def test_staff_with_an_app_reach_the_page_they_asked_for_after_one_prompt(page, axe):
    staff = UserFactory(email="returning@thrive.test", is_staff=True)
    prompts = _sign_in_with_code(page, axe, staff, totp_enrol(staff), then="/training/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text(DASHBOARD_HEADING)
    axe.scan(page)
    assert prompts == ["Two-step verification"]
