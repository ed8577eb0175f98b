"""A council-domain councillor is approved at once; a personal-address councillor
waits until staff approve them in admin; then both can use the directory."""

import re

import pytest
from playwright.sync_api import expect

from network_portal import invitations
from tests.browser.conftest import visit
from tests.factories import PASSWORD, UserFactory, service_area_topics
from tests.meetings.factories import MeetingFactory
from tests.resources.factories import ResourceFactory
from tests.security.mfa import totp_code
from tests.training.factories import SessionFactory

pytestmark = pytest.mark.browser

MEMBER_PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def topics(transactional_db):
    return service_area_topics()


def _join(page, axe, *, first, last, email, list_me=False):
    visit(page, axe, "/accounts/signup/")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill(MEMBER_PASSWORD)
    page.get_by_label("Password (again)").fill(MEMBER_PASSWORD)
    page.get_by_label("Councillor", exact=True).check()
    page.get_by_role("combobox", name="Council").select_option(label="Camden")
    page.get_by_label("Ward").fill("Camden Town")
    page.get_by_label("Public health").check()
    if list_me:
        page.get_by_label("List me in the members' directory").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")
    axe.scan(page)


def _verify(page, axe, mailoutbox, live_server, email):
    message = next(m for m in reversed(mailoutbox) if m.to == [email] and "confirm-email" in m.body)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    visit(page, axe, link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    axe.scan(page)


# Every same-site link on a page, and every form that posts (except logging out).
CONTROL_TARGETS = """() => ({
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href)
    .filter((url) => url.startsWith(location.origin)),
  forms: [...document.querySelectorAll("form[method=post]")].map((f) => f.action)
    .filter((url) => !url.includes("/logout/")),
})"""


def _no_control_leads_to_403(page, axe):
    """A pending member sees their status instead of controls they cannot use yet."""
    session, meeting, resource = SessionFactory(), MeetingFactory(), ResourceFactory(visibility="members")
    links, forms = set(), set()
    for path in ["/", "/account/", session.get_absolute_url(), meeting.get_absolute_url(), "/resources/",
                 resource.get_absolute_url(), "/training/", "/meetings/", "/updates/", "/champions/"]:  # fmt: skip
        visit(page, axe, path)
        targets = page.evaluate(CONTROL_TARGETS)
        links.update(targets["links"])
        forms.update(targets["forms"])
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    # A form is tried with its CSRF token and nothing else: enough to reach the access check.
    refused = [url for url in sorted(links) if page.request.get(url, max_redirects=0).status == 403] + [
        url for url in sorted(forms)
        if page.request.post(url, form={"csrfmiddlewaretoken": token}, max_redirects=0).status == 403
    ]  # fmt: skip
    assert not refused, f"controls a pending member sees that lead to 403: {refused}"
    expect(page.get_by_role("link", name="Directory")).to_have_count(0)
    visit(page, axe, session.get_absolute_url())
    expect(page.get_by_role("button", name="Book a place")).to_have_count(0)
    expect(page.get_by_text("Your membership is waiting for approval")).to_be_visible()


def _log_out(page, axe):
    page.get_by_role("button", name="Show navigation").click()
    # Wait for the menu to finish opening: a click while it slides open can be lost.
    expect(page.locator("#site-nav")).to_have_class("navbar-collapse collapse show")
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out")
    axe.scan(page)


def _log_in(page, axe, email, password):
    visit(page, axe, "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    axe.scan(page)


def _set_up_authenticator_by_invitation(page, axe, staff):
    """Staff set up their authenticator app through the invitation emailed when
    they were given the role, then the recovery codes page leads on to the admin."""
    url = invitations.mfa_invitation_issue(user=staff, send_email=False)
    visit(page, axe, "/" + url.split("/", 3)[3])
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    axe.scan(page)
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    axe.scan(page)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Run the network")
    axe.scan(page)


def test_council_email_joins_at_once_and_personal_email_waits_for_staff(
    page, axe, mailoutbox, live_server, london_councils, topics, settings
):
    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test"]

    # A councillor with a council address is approved as soon as it is verified.
    _join(page, axe, first="Ifeoma", last="Adeyemi", email="ifeoma.adeyemi@camden.gov.uk", list_me=True)
    _verify(page, axe, mailoutbox, live_server, "ifeoma.adeyemi@camden.gov.uk")
    expect(page.get_by_text("Approved", exact=True)).to_be_visible()
    visit(page, axe, "/members/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members' directory")
    expect(page.get_by_role("heading", name="Ifeoma Adeyemi")).to_be_visible()
    _log_out(page, axe)

    # A councillor with a personal address waits, and is told so on member-only pages.
    _join(page, axe, first="Tobias", last="Wren", email="tobias.wren@gmail.com")
    _verify(page, axe, mailoutbox, live_server, "tobias.wren@gmail.com")
    expect(page.get_by_role("heading", name="Your membership is waiting for approval")).to_be_visible()
    assert any(m.to == ["team@thrive.test"] and "tobias.wren@gmail.com" in m.body for m in mailoutbox)
    visit(page, axe, "/members/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for approved members")
    expect(page.get_by_text("Your membership is waiting for approval")).to_be_visible()
    _no_control_leads_to_403(page, axe)
    _log_out(page, axe)

    # Staff approve him in admin, setting up two-factor authentication first.
    staff = UserFactory(email="staff@thrive.test", is_staff=True, is_superuser=True)
    _log_in(page, axe, staff.email, PASSWORD)
    _set_up_authenticator_by_invitation(page, axe, staff)
    page.get_by_role("link", name="Members waiting for approval").click()
    axe.scan(page)
    row = page.get_by_role("row").filter(has_text="tobias.wren@gmail.com")
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Approve the selected members (emails them)")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.get_by_text("1 member(s) approved and emailed.")).to_be_visible()
    axe.scan(page)
    assert any(m.to == ["tobias.wren@gmail.com"] and "approved" in m.subject for m in mailoutbox)
    visit(page, axe, "/")
    _log_out(page, axe)

    # Now he can open the directory, and sees the member who chose to be listed.
    _log_in(page, axe, "tobias.wren@gmail.com", MEMBER_PASSWORD)
    visit(page, axe, "/members/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members' directory")
    expect(page.get_by_role("heading", name="Ifeoma Adeyemi")).to_be_visible()
    expect(page.get_by_role("heading", name="Tobias Wren")).to_have_count(0)


def test_member_manages_choices_and_profile_and_public_pages_pass_axe(page, axe, london_councils):
    from members.models import Appointment, Member

    camden = london_councils.get(slug="camden")
    user = UserFactory(email="rhiannon@camden.gov.uk", first_name="Rhiannon", last_name="Price")
    member = Member.objects.create(user=user, role="councillor", council=camden, ward="Highgate", status="approved")
    Appointment.objects.create(member=member, council=camden, role="champion")

    _log_in(page, axe, user.email, PASSWORD)
    visit(page, axe, "/account/")
    page.get_by_role("button", name=re.compile(r"^Agree\W+Name me on public pages")).click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    axe.scan(page)
    expect(page.get_by_role("button", name=re.compile(r"^Withdraw\W+Name me on public pages"))).to_be_visible()

    page.get_by_role("link", name="Edit your profile").click()
    axe.scan(page)
    page.get_by_label("Ward").fill("Highgate and Fitzroy")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile has been updated")
    axe.scan(page)

    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    axe.scan(page)

    visit(page, axe, "/champions/")
    expect(page.get_by_text("Rhiannon Price")).to_be_visible()
    page.get_by_role("link", name="Camden").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Camden")
    axe.scan(page)

    visit(page, axe, "/contact/")
    page.get_by_label("Your name").fill("Rhiannon Price")
    page.get_by_label("Your email address").fill(user.email)
    page.get_by_label("Council").select_option(label="Camden")
    page.get_by_label("You are").select_option(label="Councillor")
    page.get_by_label("Your message").fill("Could we host the next network meeting?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("Your message has been sent")
    axe.scan(page)
