"""Site-wide rules in a real browser: the header fits on one line at laptop widths
for everyone, and the admin forms staff use every day pass axe."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import visit
from tests.factories import PASSWORD, UserFactory
from tests.meetings.factories import MeetingFactory
from tests.resources.factories import ResourceFactory, UpdateFactory
from tests.security.mfa import totp_code, totp_enrol

pytestmark = pytest.mark.browser


def _log_in_staff(page, axe, user):
    secret = totp_enrol(user)
    visit(page, axe, "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    axe.scan(page)
    page.get_by_label("Code").fill(totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    axe.scan(page)


def test_admin_add_and_change_forms_pass_axe(page, axe):
    staff = UserFactory(email="admin.forms@thrive.test", is_staff=True, is_superuser=True)
    meeting, resource, update = MeetingFactory(), ResourceFactory(), UpdateFactory()
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in_staff(page, axe, staff)

    for path in [
        "/admin/meetings/meeting/add/",
        f"/admin/meetings/meeting/{meeting.pk}/change/",
        "/admin/resources/resource/add/",
        f"/admin/resources/resource/{resource.pk}/change/",
        "/admin/resources/update/add/",
        f"/admin/resources/update/{update.pk}/change/",
        "/admin/members/user/add/",
        f"/admin/members/user/{staff.pk}/change/",
        "/admin/members/member/",
        "/admin/resources/resource/",
    ]:
        visit(page, axe, path)
        expect(page.locator("#content h1, #content h2").first).to_be_visible()
