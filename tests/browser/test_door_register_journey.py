"""Staff at the door with a phone (390×844): search, one tap to mark, a walk-in."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in_with_mfa, visit
from tests.factories import MemberFactory, UserFactory
from tests.security.mfa import totp_enrol
from tests.training.factories import BookingFactory, SessionFactory
from training.models import Booking

pytestmark = pytest.mark.browser


def test_staff_mark_attendance_and_add_a_walk_in_on_a_phone(page, axe):
    assert page.viewport_size == {"width": 390, "height": 844}
    starts = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    session = SessionFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))
    ada = BookingFactory(session=session, member__user__first_name="Ada", member__user__last_name="Okafor")
    BookingFactory(session=session, member__user__first_name="Ben", member__user__last_name="Shah")
    walker = MemberFactory(user__first_name="Wanda", user__last_name="Walker")
    staff = UserFactory(is_staff=True, is_superuser=True)

    log_in_with_mfa(page, axe, staff, totp_enrol(staff))
    visit(page, axe, f"/training/sessions/{session.pk}/door/")
    counts = page.locator("#door-counts")
    expect(counts).to_contain_text("0 attended · 0 no-show · 2 not marked · 2 on the register")

    # Typing filters the list at once; the tap marks in the background.
    page.get_by_label("Search names").fill("okafor")
    expect(page.get_by_role("button", name="Attended: Ben Shah")).to_be_hidden()
    page.get_by_role("button", name="Attended: Ada Okafor").click()
    expect(page.get_by_role("status")).to_have_text("Ada Okafor: attended.")
    expect(counts).to_contain_text("1 attended · 0 no-show · 1 not marked")
    expect(page.get_by_role("button", name="Attended: Ada Okafor")).to_have_attribute("aria-pressed", "true")
    axe.scan(page)
    ada.refresh_from_db()
    assert ada.attended == Booking.Attended.YES

    # Keyboard only: the no-show button for the same person.
    page.get_by_role("button", name="No-show: Ada Okafor").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Ada Okafor: no-show.")
    ada.refresh_from_db()
    assert ada.attended == Booking.Attended.NO

    # A walk-in: search (a plain GET), then add.
    page.get_by_label("Search names").fill("walker")
    page.get_by_role("button", name="Search", exact=True).click()
    axe.scan(page)
    page.get_by_role("button", name="Add as attended: Wanda Walker").click()
    expect(page.get_by_role("status")).to_have_text("Wanda Walker added as a walk-in: attended.")
    expect(counts).to_contain_text(re.compile(r"1 attended · 1 no-show · 1 not marked · 3 on the register"))
    axe.scan(page)
    walk_in = Booking.objects.get(session=session, member=walker)
    assert (walk_in.status, walk_in.attended) == (Booking.Status.CONFIRMED, Booking.Attended.YES)
