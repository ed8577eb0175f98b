import re

import pytest
from playwright.sync_api import expect

from members.models import Member
from resources.models import CaseStudy, Download, Resource, Topic, Visibility
from tests.browser.conftest import visit
from tests.factories import PASSWORD, MemberFactory, service_area_topics
from tests.resources import files
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def library(settings, tmp_path, transactional_db):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    service_area_topics()  # transactional tests flush the migration's rows
    housing = Topic.objects.get(slug="housing")
    wanted = ResourceFactory(
        with_file=True,
        title="Housing and mental health briefing",
        summary="What housing teams can do.",
        visibility=Visibility.MEMBERS,
        download_name="Housing briefing.pdf",
        topics=[housing],
    )
    ResourceFactory(title="Housing in leisure strategies", body="Housing.", topics=[Topic.objects.get(slug="leisure")])
    ResourceFactory(title="Employment support guide")
    return wanted


def test_officer_searches_filters_downloads_after_login_and_shares_a_case_study(page, axe, library, tmp_path):
    officer = MemberFactory(role=Member.Role.OFFICER, status=Member.Status.APPROVED)

    visit(page, axe, "/resources/")
    page.get_by_label("Search", exact=True).fill("housing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"2 resources matching"))).to_be_visible()
    axe.scan(page)
    # On a phone the filters stay folded, so the first result shows on the first screen.
    expect(page.get_by_label("Topic")).to_be_hidden()
    first_result = page.locator(".resource-list > li").first.bounding_box()
    assert first_result["y"] + 48 <= page.viewport_size["height"], first_result

    page.get_by_role("button", name="Filter and sort").click()
    page.get_by_label("Topic").select_option(label="Housing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"1 resource matching"))).to_be_visible()
    expect(page.locator(".resource-list").get_by_text("Members only")).to_be_visible()
    axe.scan(page)

    page.get_by_role("link", name="Housing and mental health briefing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Housing and mental health briefing")
    axe.scan(page)

    page.get_by_role("link", name="Log in to download").click()
    axe.scan(page)
    page.get_by_label("Email").fill(officer.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Log in", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "Housing briefing.pdf"
    assert download.path().read_bytes().startswith(b"%PDF-")
    assert Download.objects.filter(resource=library, user=officer.user).count() == 1

    visit(page, axe, "/case-studies/new/")
    page.get_by_label("Title").fill("Mental health first aid for housing officers")
    page.get_by_role("checkbox", name="Housing").check()
    page.get_by_label("What did you do?").fill("We trained 40 housing officers to spot distress early.")
    page.get_by_label("What was the outcome?").fill("Referrals to early support doubled in six months.")
    page.get_by_label("Colleagues may contact me about this").check()
    attachment = tmp_path / "evaluation.pdf"
    attachment.write_bytes(files.pdf("Evaluation"))
    page.get_by_label("Attachment (optional)").set_input_files(str(attachment))
    page.get_by_role("button", name="Submit for review").click()

    expect(page.get_by_role("status")).to_contain_text("Thank you for sharing your case study")
    expect(page.get_by_text("Mental health first aid for housing officers")).to_be_visible()
    axe.scan(page)
    case_study = CaseStudy.objects.get()
    assert (case_study.submitter, case_study.council, case_study.status) == (
        officer.user,
        officer.council,
        CaseStudy.Status.SUBMITTED,
    )
    assert case_study.file_name == "evaluation.pdf"
    assert Resource.objects.count() == 3
