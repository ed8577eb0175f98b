"""The council commitments and policy-change register."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from members.models import Appointment, Member
from tests.factories import MemberFactory, UserFactory
from tests.members.factories import AppointmentFactory
from tests.resources import files
from training import services
from training.models import Commitment

from .factories import past_session, researcher_on_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def camden(london_councils):
    return london_councils.get(name="Camden")


@pytest.fixture
def champion(camden):
    return AppointmentFactory(member=MemberFactory(council=camden), council=camden).member


def _report_url(council):
    return reverse("training:commitment-report", args=[council.slug])


def _answers(**extra):
    return {
        "kind": "policy_change",
        "service_area": "housing",
        "summary": "Housing allocations now consider mental health needs.",
        "happened_on": (timezone.localdate() - timedelta(days=10)).isoformat(),
        "evidence_url": "https://democracy.camden.gov.uk/paper-123",
    } | extra


def test_a_champion_reports_a_policy_change_for_their_council(client, champion, camden):
    client.force_login(champion.user)
    response = client.post(_report_url(camden), _answers())
    assert response.status_code == 302
    entry = Commitment.objects.get()
    assert (entry.council, entry.kind, entry.service_area) == (camden, "policy_change", "housing")
    assert (entry.source, entry.status, entry.reported_by) == ("champion", "reported", champion.user)
    # Not public until staff verify it.
    assert entry.summary not in client.get(camden.get_absolute_url()).content.decode()


def test_a_lead_officer_reports_with_an_uploaded_document(client, camden):
    officer = MemberFactory(council=camden, role=Member.Role.OFFICER)
    AppointmentFactory(member=officer, council=camden, role=Appointment.Role.LEAD_OFFICER)
    client.force_login(officer.user)
    upload = SimpleUploadedFile("strategy.pdf", files.pdf("Strategy"), content_type="application/pdf")
    answers = _answers(kind="strategy", service_area="", evidence_url="", evidence_file=upload)
    assert client.post(_report_url(camden), answers).status_code == 302
    entry = Commitment.objects.get()
    assert (entry.source, entry.evidence_file_name) == ("lead_officer", "strategy.pdf")


def test_an_evidence_upload_goes_through_the_upload_checks(client, champion, camden):
    client.force_login(champion.user)
    disguised = SimpleUploadedFile("paper.pdf", b"<html><script>alert(1)</script></html>")
    response = client.post(_report_url(camden), _answers(evidence_url="", evidence_file=disguised))
    assert response.status_code == 400
    assert not Commitment.objects.exists()


def test_a_report_needs_evidence_and_a_service_area_for_a_policy_change(client, champion, camden):
    client.force_login(champion.user)
    response = client.post(_report_url(camden), _answers(evidence_url="", service_area=""))
    assert response.status_code == 400
    content = response.content.decode()
    assert "Give a link to the evidence or upload a document." in content
    assert "Choose the service area" in content
    assert not Commitment.objects.exists()


def test_a_report_for_a_council_the_reporter_does_not_serve_is_refused(client, champion, london_councils):
    hackney = london_councils.get(name="Hackney")
    client.force_login(champion.user)
    assert client.get(_report_url(hackney)).status_code == 403
    assert client.post(_report_url(hackney), _answers()).status_code == 403
    assert not Commitment.objects.exists()
    with pytest.raises(services.CommitmentRefused):
        services.commitment_report(member=champion, council=hackney, answers=_answers())


def test_a_member_without_a_role_cannot_report_and_a_former_champion_neither(client, camden):
    client.force_login(MemberFactory(council=camden).user)
    assert client.post(_report_url(camden), _answers()).status_code == 403
    former = AppointmentFactory(
        member=MemberFactory(council=camden), council=camden, until=timezone.localdate() - timedelta(days=1),
        since=timezone.localdate() - timedelta(days=200),
    ).member  # fmt: skip
    client.force_login(former.user)
    assert client.post(_report_url(camden), _answers()).status_code == 403
    assert not Commitment.objects.exists()


def test_staff_verify_in_admin_and_it_joins_the_councils_timeline(client, champion, camden):
    entry = services.commitment_report(member=champion, council=camden, answers=_answers())
    session = past_session(council=camden, days_ago=60)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:training_commitment_changelist"), {"action": "verify", "_selected_action": [entry.pk]}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.verified_by) == ("verified", staff)
    client.logout()
    page = client.get(camden.get_absolute_url()).content.decode()
    assert entry.summary in page
    assert "Policy or service change: Housing" in page
    assert f"training delivered ({session.course.title})" in page
    # Newest first: the policy change (10 days ago) comes before the session (60 days ago).
    assert page.index(entry.summary) < page.index(f"training delivered ({session.course.title})")


def test_uploaded_evidence_is_public_only_once_verified(client, champion, camden):
    upload = SimpleUploadedFile("motion.pdf", files.pdf("Motion"), content_type="application/pdf")
    entry = services.commitment_report(
        member=champion, council=camden, answers=_answers(kind="motion", evidence_url=""), upload=upload
    )
    url = reverse("training:commitment-evidence", args=[entry.pk])
    assert client.get(url).status_code == 404
    services.commitment_verify(commitment_ids=[entry.pk], verified_by=UserFactory(is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")


def test_the_research_package_holds_verified_entries_at_council_level_without_the_reporter(client, champion, camden):
    reported = services.commitment_report(member=champion, council=camden, answers=_answers(summary="Still unchecked"))
    verified = services.commitment_report(member=champion, council=camden, answers=_answers(kind="concordat"))
    services.commitment_verify(commitment_ids=[verified.pk], verified_by=UserFactory(is_staff=True))
    researcher, project = researcher_on_project()
    client.force_login(researcher)
    response = client.get(reverse("training:research-package", args=[project.pk]))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        table = archive.read("council_commitments.csv").decode()
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["council"], r["gss_code"], r["entry_type"]) for r in rows] == [("Camden", camden.gss_code, "concordat")]
    assert reported.summary not in table
    assert champion.user.email not in table and champion.user.get_full_name() not in table
    assert "reported_by" not in rows[0] and "source" not in rows[0]


def _stored_files(settings):
    root = settings.PRIVATE_STORAGE_ROOT
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _reported_with_document(champion, camden, name="motion.pdf"):
    upload = SimpleUploadedFile(name, files.pdf(name), content_type="application/pdf")
    return services.commitment_report(
        member=champion, council=camden, answers=_answers(kind="motion", evidence_url=""), upload=upload
    )


def _admin_form(entry, **extra):
    return {
        "council": entry.council_id,
        "kind": entry.kind,
        "service_area": entry.service_area,
        "summary": entry.summary,
        "happened_on": entry.happened_on.isoformat(),
        "evidence_url": entry.evidence_url,
        "source": entry.source,
        "followup": "",
    } | extra


def test_replacing_the_evidence_in_admin_deletes_the_old_document(
    client, champion, camden, settings, django_capture_on_commit_callbacks
):
    entry = _reported_with_document(champion, camden)
    old_name = entry.evidence_file.name
    assert _stored_files(settings) == [old_name]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("signed motion.pdf", files.pdf("Signed"), content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:training_commitment_change", args=[entry.pk]), _admin_form(entry, upload=upload)
        )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.evidence_file.name != old_name
    assert entry.evidence_file_name == "signed motion.pdf"
    assert _stored_files(settings) == [entry.evidence_file.name]
    assert entry.evidence_file.open("rb").read() == files.pdf("Signed")


def test_an_admin_edit_without_a_new_document_keeps_the_old_one(
    client, champion, camden, settings, django_capture_on_commit_callbacks
):
    entry = _reported_with_document(champion, camden)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:training_commitment_change", args=[entry.pk]), _admin_form(entry, summary="Motion signed.")
        )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.summary, entry.evidence_file_name) == ("Motion signed.", "motion.pdf")
    assert _stored_files(settings) == [entry.evidence_file.name]


def test_a_refused_save_keeps_the_old_document_and_drops_the_new_one(champion, camden, settings):
    entry = _reported_with_document(champion, camden)
    old_name = entry.evidence_file.name
    entry.kind, entry.service_area = Commitment.Kind.POLICY_CHANGE, ""  # the model refuses a change with no area
    upload = SimpleUploadedFile("new.pdf", files.pdf("New"), content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.commitment_save(commitment=entry, upload=upload)
    assert entry.evidence_file.name == old_name
    assert _stored_files(settings) == [old_name]
    assert Commitment.objects.get(pk=entry.pk).evidence_file.name == old_name


def test_deleting_a_commitment_in_admin_deletes_its_document(
    client, champion, camden, settings, django_capture_on_commit_callbacks
):
    entry = _reported_with_document(champion, camden)
    kept = _reported_with_document(champion, camden, name="concordat.pdf")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:training_commitment_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Commitment.objects.filter(pk=entry.pk).exists()
    assert _stored_files(settings) == [kept.evidence_file.name]


def test_deleting_selected_commitments_in_admin_deletes_their_documents(
    client, champion, camden, settings, django_capture_on_commit_callbacks
):
    entries = [_reported_with_document(champion, camden, name=f"paper-{i}.pdf") for i in range(2)]
    assert len(_stored_files(settings)) == 2
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:training_commitment_changelist"),
            {"action": "delete_selected", "post": "yes", "_selected_action": [e.pk for e in entries]},
        )
    assert response.status_code == 302
    assert not Commitment.objects.exists()
    assert _stored_files(settings) == []
