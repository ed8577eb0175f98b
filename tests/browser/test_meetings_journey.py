"""An approved councillor registers online for a network meeting, downloads its
calendar file, sees the joining link, and cancels; afterwards a member answers
the feedback survey and staff read the summary."""

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import services
from tests.browser.conftest import log_in, log_in_with_mfa, visit
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.security.mfa import totp_enrol

pytestmark = pytest.mark.browser


def test_councillor_registers_online_downloads_ics_sees_joining_link_and_cancels(page, axe, mailoutbox):
    member = MemberFactory(user__email="cllr.journey@example.org")
    meeting = MeetingFactory(title="Autumn network meeting", in_person_capacity=20)

    log_in(page, axe, member.user.email)

    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network meetings")
    axe.scan(page)

    page.get_by_role("link", name="Autumn network meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn network meeting")
    expect(page.get_by_text(meeting.joining_url)).to_have_count(0)
    axe.scan(page)

    page.get_by_role("link", name="Register for this meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register for")
    axe.scan(page)
    page.get_by_label("Online").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("status")).to_contain_text("You are registered to attend online")
    expect(page.get_by_role("link", name=meeting.joining_url)).to_be_visible()
    axe.scan(page)
    assert [m.to for m in mailoutbox] == [[member.user.email]]

    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    calendar = icalendar.Calendar.from_ical(open(download.value.path(), "rb").read())  # noqa: SIM115
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Autumn network meeting"
    assert event.start == meeting.starts_at
    assert meeting.joining_url in str(event["description"])

    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_role("status")).to_contain_text("Your registration is cancelled")
    expect(page.get_by_text(meeting.joining_url)).to_have_count(0)
    expect(page.get_by_role("link", name="Register for this meeting")).to_be_visible()
    axe.scan(page)


def test_member_answers_the_feedback_survey_and_staff_read_the_summary(page, axe, live_server):
    starts = timezone.now() - timedelta(days=1)
    meeting = MeetingFactory(title="Summer network meeting", starts_at=starts, ends_at=starts + timedelta(hours=2))
    registration = RegistrationFactory(meeting=meeting)
    staff = UserFactory(email="staff.journey@example.org", is_staff=True)

    visit(page, axe, services.feedback_link(registration).removeprefix("http://testserver"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How was Summer network meeting?")
    page.get_by_label("4 – Very useful").check()
    page.get_by_label("What should the network discuss next time? (optional)").fill("Loneliness in older residents")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    axe.scan(page)

    # Members' comments are a privileged page: staff pass their authenticator step first.
    log_in_with_mfa(page, axe, staff, totp_enrol(staff))
    visit(page, axe, f"/meetings/{meeting.slug}/feedback-summary/")
    expect(page.get_by_text("Responses: 1 from 1 surveyed.")).to_be_visible()
    expect(page.get_by_text("Loneliness in older residents")).to_be_visible()
