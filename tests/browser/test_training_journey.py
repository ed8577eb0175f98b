"""Two councillors race for the last seat; the waiting list moves up when the
first cancels; staff mark attendance; the feedback link opens a working form."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from network_portal.schedules import registered, scheduled_email_scan
from tests.browser.conftest import log_in, log_in_with_mfa, visit
from tests.factories import MemberFactory, UserFactory
from tests.security.mfa import totp_enrol
from tests.training.factories import SessionFactory
from training.models import Booking, Feedback

pytestmark = pytest.mark.browser


def _log_out(page, axe):
    # allauth's own sign-out page: a plain POST form, with no collapsed menu to
    # open first (the signup journey covers logging out from the menu).
    visit(page, axe, "/accounts/logout/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out")
    axe.scan(page)


def _open_session(page, axe, session):
    visit(page, axe, "/training/")
    page.get_by_role("link", name=re.compile(f"^{re.escape(session.course.title)}: ")).click()
    expect(page.get_by_role("heading", name="Your place")).to_be_visible()
    axe.scan(page)


def test_last_seat_waiting_list_promotion_attendance_and_feedback(page, axe, mailoutbox, live_server):
    session = SessionFactory(capacity=1)
    first, second = MemberFactory(), MemberFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)

    # The first councillor books the last seat.
    log_in(page, axe, first.user.email)
    _open_session(page, axe, session)
    expect(page.get_by_text("1 seat left")).to_be_visible()
    page.get_by_role("button", name="Book a place").click()
    expect(page.get_by_role("status")).to_contain_text("Your place is booked")
    expect(page.get_by_text("You are booked on this session.")).to_be_visible()
    axe.scan(page)
    _log_out(page, axe)

    # The second finds it full and joins the waiting list.
    log_in(page, axe, second.user.email)
    _open_session(page, axe, session)
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are number 1 on the waiting list.")).to_be_visible()
    axe.scan(page)
    _log_out(page, axe)

    # The first cancels; the second is promoted and emailed.
    log_in(page, axe, first.user.email)
    visit(page, axe, session.get_absolute_url())
    page.get_by_role("button", name="Cancel my booking").click()
    expect(page.get_by_role("status")).to_contain_text("Your booking is cancelled.")
    axe.scan(page)
    _log_out(page, axe)
    assert Booking.objects.get(member=second).status == Booking.Status.CONFIRMED
    promoted = [m for m in mailoutbox if m.to == [second.user.email] and "place has come up" in m.subject]
    assert len(promoted) == 1

    # The session takes place; staff mark the second councillor as attended.
    session.starts_at = timezone.now() - timedelta(hours=4)
    session.ends_at = session.starts_at + timedelta(hours=2)
    session.save()
    log_in_with_mfa(page, axe, staff, totp_enrol(staff))
    visit(page, axe, f"/admin/training/session/{session.pk}/change/")
    page.get_by_role("link", name="Mark attendance").click()
    axe.scan(page)
    page.get_by_role("checkbox", name=re.compile(re.escape(f"{second.user.get_full_name()} –"))).check()
    page.get_by_role("combobox", name="Action").select_option(label="Mark the selected bookings as attended")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 booking(s) marked attended.")).to_be_visible()
    axe.scan(page)
    visit(page, axe, "/")
    _log_out(page, axe)

    # The survey goes two hours after the end; its link opens the form without logging in.
    scheduled_email_scan(schedules=[s for s in registered() if s.name == "training-feedback"])
    survey = next(m for m in mailoutbox if m.to == [second.user.email] and "How was the training" in m.subject)
    link = re.search(r"http://testserver(/training/feedback/\S+/)", survey.body).group(1)
    visit(page, axe, link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on the training")
    page.get_by_role("group", name="Overall, how would you rate the training?").get_by_label("Excellent").check()
    page.get_by_role("group", name="How useful was it for your role?").get_by_label("Very useful").check()
    for question, answer in [
        ("Before the training: supporting residents' mental health", "2"),
        ("After the training: supporting residents' mental health", "4"),
        ("Before the training: looking after your own wellbeing", "3"),
        ("After the training: looking after your own wellbeing", "4"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("What will you do differently").fill("Ask about mental health at every scrutiny meeting.")
    page.get_by_role("button", name="Send my feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    axe.scan(page)
    feedback = Feedback.objects.get(booking__member=second)
    assert (feedback.rating, feedback.confidence_residents_after) == ("excellent", 4)


def test_training_pages_read_well_on_a_phone(page, axe, london_councils):
    """Every other training page, at 390px wide, with data in it, passes axe."""
    from tests.training.factories import (
        BookingFactory,
        FeedbackFactory,
        FollowUpFactory,
        ResearchProjectFactory,
        past_session,
        researcher_group,
    )

    camden = london_councils.get(name="Camden")
    camden.councillor_seats = 54
    camden.save()
    member = MemberFactory(council=camden, consent_research=True)
    done = BookingFactory(session=past_session(council=camden, days_ago=100), member=member, attended="yes")
    FeedbackFactory(booking=done, testimonial="Clear and practical.", testimonial_consent="council")
    FollowUpFactory(booking=BookingFactory(session=past_session(days_ago=120), attended="yes"), influenced_policy=True,
                    policy_area="housing")  # fmt: skip
    upcoming = SessionFactory(council=camden)
    researcher = UserFactory(is_staff=True)
    researcher.groups.add(researcher_group())
    ResearchProjectFactory().researchers.add(researcher)

    log_in(page, axe, member.user.email)
    expect(page.get_by_role("heading", name="My training")).to_be_visible()
    visit(page, axe, "/training/")
    expect(page.get_by_text("of 1 trainee who gave feedback rated it Excellent or Good")).to_be_visible()
    visit(page, axe, upcoming.course.get_absolute_url())
    visit(page, axe, "/training/coverage/")
    expect(page.get_by_role("table", name="Training delivered and councillors trained, by council")).to_be_visible()
    visit(page, axe, f"/training/bookings/{done.pk}/follow-up/3m/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 months on")
    _log_out(page, axe)

    # Staff and researchers sign in with their authenticator app too.
    log_in_with_mfa(page, axe, researcher, totp_enrol(researcher))
    # Researchers reach their export from the account menu.
    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("button", name="Your account").click()
    expect(page.get_by_role("link", name="Evaluators' export")).to_have_attribute("href", "/training/research/")
    visit(page, axe, "/training/dashboard/")
    expect(page.get_by_role("heading", name="Confidence before and after")).to_be_visible()
    visit(page, axe, "/training/research/")
    expect(page.get_by_role("button", name="Download the data package (zip)")).to_be_visible()
