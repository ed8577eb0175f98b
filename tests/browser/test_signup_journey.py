import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import visit

pytestmark = pytest.mark.browser


def test_new_user_signs_up_verifies_by_email_and_logs_out(page, axe, mailoutbox, live_server, london_councils):
    visit(page, axe, "/")
    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("link", name="Join").first.click()
    axe.scan(page)

    # Sent empty, the form names every problem at the top, each linking to its field.
    page.get_by_role("button", name="Sign up").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: Join the network")
    axe.scan(page)
    summary.get_by_role("link", name="Email: This field is required.").click()
    expect(page.get_by_label("Email")).to_be_focused()
    summary.get_by_role("link", name="Council: This field is required.").click()
    expect(page.get_by_role("combobox", name="Council")).to_be_focused()

    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Campbell")
    page.get_by_label("Email").fill("nia.campbell@camden.gov.uk")
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill("a-long-passphrase-2026")
    page.get_by_label("Password (again)").fill("a-long-passphrase-2026")
    page.get_by_label("Councillor", exact=True).check()
    page.get_by_role("combobox", name="Council").select_option(label="Camden")
    page.get_by_label("Ward").fill("Kentish Town")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")
    axe.scan(page)

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    visit(page, axe, link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    expect(page.get_by_text("nia.campbell@camden.gov.uk", exact=True)).to_be_visible()
    assert not page.title().startswith("Error")
    axe.scan(page)

    page.get_by_role("button", name="Show navigation").click()
    # Wait for the menu to finish opening: a click while it slides open can be lost.
    expect(page.locator("#site-nav")).to_have_class("navbar-collapse collapse show")
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out")
    page.get_by_role("button", name="Show navigation").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    axe.scan(page)
