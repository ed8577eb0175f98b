"""A member opens their certificate from "My training", it prints on one A4
page without the site's navigation, and its verification address confirms it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, visit
from tests.browser.test_training_journey import _log_out
from tests.training.factories import BookingFactory, CourseFactory, past_session
from training.models import Booking

pytestmark = pytest.mark.browser


def test_certificate_prints_on_one_a4_page_and_its_address_confirms_it(page, axe):
    course = CourseFactory(title="Mental Health and Wellbeing Training for Councillors")
    booking = BookingFactory(session=past_session(course=course, days_ago=10), attended=Booking.Attended.YES)
    log_in(page, axe, booking.member.user.email)
    page.get_by_role("link", name=re.compile("^Certificate of attendance")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of attendance")
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    axe.scan(page)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    # Chromium writes each page as its own uncompressed /Type /Page object.
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    [box] = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert (round(float(box[0])), round(float(box[1]))) == (595, 842)  # A4 in points
    page.emulate_media(media="screen")

    verify_url = page.locator(".certificate-url").inner_text().strip()
    _log_out(page, axe)
    visit(page, axe, re.sub(r"^https?://[^/]+", "", verify_url))
    expect(page.get_by_role("heading", level=1)).to_have_text("This is a valid certificate of attendance")
    expect(page.get_by_text(course.title)).to_be_visible()
    expect(page.get_by_text(booking.member.user.get_full_name())).to_be_visible()
