"""A champion reports a policy change, staff verify it, it appears on the
council's timeline and in the next research package, which an evaluator downloads."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in_with_mfa, visit
from tests.browser.test_membership_journey import _log_in, _log_out, _set_up_authenticator_by_invitation
from tests.factories import PASSWORD, MemberFactory, UserFactory
from tests.members.factories import AppointmentFactory
from tests.security.mfa import totp_enrol
from tests.training.factories import ResearchProjectFactory, researcher_group

pytestmark = pytest.mark.browser

SUMMARY = "Housing allocations now weigh mental health needs"


def test_a_verified_policy_change_reaches_the_timeline_and_the_research_package(
    page, axe, live_server, london_councils
):
    camden = london_councils.get(name="Camden")
    champion = AppointmentFactory(member=MemberFactory(council=camden), council=camden).member
    researcher = UserFactory(email="evaluator@university.test")
    researcher.groups.add(researcher_group())
    ResearchProjectFactory(name="Policy outcomes study").researchers.add(researcher)

    # The champion reports it from the council's page.
    _log_in(page, axe, champion.user.email, PASSWORD)
    visit(page, axe, camden.get_absolute_url())
    page.get_by_role("link", name="Report a commitment or policy change for Camden").click()
    axe.scan(page)
    page.get_by_role("radio", name="Policy or service change").check()
    page.get_by_label("Service area (for a policy or service change)").select_option(label="Housing")
    page.get_by_label("What did the council do?").fill(SUMMARY)
    page.get_by_label("Date it happened").fill((timezone.localdate() - timedelta(days=7)).isoformat())
    page.get_by_label("A link to the evidence").fill("https://democracy.camden.gov.uk/cabinet-paper")
    page.get_by_role("button", name="Send for checking").click()
    expect(page.get_by_text("Staff will check the evidence")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_have_count(0)  # not public until verified
    axe.scan(page)
    _log_out(page, axe)

    # Staff verify it in the admin.
    staff = UserFactory(email="staff@thrive.test", is_staff=True, is_superuser=True)
    _log_in(page, axe, staff.email, PASSWORD)
    _set_up_authenticator_by_invitation(page, axe, staff)
    visit(page, axe, reverse("admin:training_commitment_changelist"))
    page.get_by_role("row").filter(has_text="Camden").get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Verify the selected entries (evidence checked)")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.get_by_text("1 entry verified.")).to_be_visible()
    visit(page, axe, "/")
    _log_out(page, axe)

    # It is on the council's public timeline.
    visit(page, axe, camden.get_absolute_url())
    timeline = page.get_by_role("region", name="Commitments, policy changes and training")
    expect(timeline.get_by_text(SUMMARY)).to_be_visible()

    # The evaluator downloads the next package, and the entry is in it.
    log_in_with_mfa(page, axe, researcher, totp_enrol(researcher))
    visit(page, axe, "/training/research/")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the data package (zip)").click()
    with zipfile.ZipFile(download_info.value.path()) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("council_commitments.csv").decode())))
    assert [(r["council"], r["entry_type"], r["service_area"], r["summary"]) for r in rows] == [
        ("Camden", "policy_change", "housing", SUMMARY)
    ]
