"""Site-wide rules in a real browser: the header fits on one line at laptop widths
for everyone, wide tables scroll inside their box, and the admin forms staff use
every day pass axe."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_in_with_mfa, visit
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory
from tests.resources.factories import ResourceFactory, UpdateFactory
from tests.security.mfa import totp_enrol
from tests.training.factories import BookingFactory, FeedbackFactory, past_session

pytestmark = pytest.mark.browser


PHONE, LAPTOPS = 390, (1024, 1280, 1440)

# The header's boxes: its height, and the vertical extent of every visible item in it.
HEADER_BOXES = """() => {
  const header = document.querySelector(".site-header");
  const items = [...header.querySelectorAll(".navbar-brand, .navbar-toggler, .navbar-nav > .nav-item")]
    .filter((el) => el.offsetParent !== null)
    .map((el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; });
  const brand = header.querySelector(".navbar-brand");
  const lineHeight = parseFloat(getComputedStyle(brand).lineHeight);
  const brandLines = Math.round(brand.getBoundingClientRect().height / lineHeight);
  return {height: header.getBoundingClientRect().height, items, brandLines};
}"""


def _header_heights(page, axe) -> dict[int, float]:
    """The header's height at each width, asserting that at laptop widths it is one line."""
    heights = {}
    for width in (PHONE, *LAPTOPS):
        page.set_viewport_size({"width": width, "height": 900})
        visit(page, axe, "/")
        boxes = page.evaluate(HEADER_BOXES)
        heights[width] = boxes["height"]
        if width in LAPTOPS:
            assert boxes["brandLines"] == 1, f"site name breaks at {width}px"
            # One line: every item overlaps every other vertically.
            assert max(i["top"] for i in boxes["items"]) < min(i["bottom"] for i in boxes["items"]), width
    return heights


def test_header_is_one_line_for_visitors_members_and_staff_and_admin_forms_pass_axe(page, axe):
    member = MemberFactory()
    staff = UserFactory(email="admin.forms@thrive.test", is_staff=True, is_superuser=True)
    meeting, resource, update = MeetingFactory(), ResourceFactory(), UpdateFactory()
    FeedbackFactory(booking=BookingFactory(session=past_session(days_ago=10), attended="yes"))

    signed_out = _header_heights(page, axe)
    log_in(page, axe, member.user.email, lands_on=None)
    assert _header_heights(page, axe) == signed_out
    page.context.clear_cookies()
    log_in_with_mfa(page, axe, staff, totp_enrol(staff), lands_on=None)
    assert _header_heights(page, axe) == signed_out

    # The dashboard's tables fit their box at 1280 px, or scroll inside it; the page never scrolls sideways.
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, axe, "/training/dashboard/")
    ratings = page.get_by_role("region", name="Ratings by course", exact=True)
    assert ratings.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    for region in page.locator(".table-responsive").all():
        assert region.evaluate("el => getComputedStyle(el).overflowX") == "auto"

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
