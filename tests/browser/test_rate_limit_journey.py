"""The 429 page in a real browser at phone width: styled, accessible, and
the refused booking left nothing behind."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, visit
from tests.factories import MemberFactory
from tests.training.factories import SessionFactory
from training.models import Booking

pytestmark = pytest.mark.browser


def test_booking_over_the_limit_shows_the_accessible_429_page_and_books_nothing(page, axe, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking": "0/h"}
    session, member = SessionFactory(), MemberFactory()

    log_in(page, axe, member.user.email)
    visit(page, axe, session.get_absolute_url())
    page.get_by_role("button", name="Book a place").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    expect(page.get_by_text("Nothing was saved from your last attempt.")).to_be_visible()
    axe.scan(page)
    assert not Booking.objects.filter(session=session).exists()
