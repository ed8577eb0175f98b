"""The evaluators' data package: per project, k-anonymous, documented, audited."""

import csv
import io
import json
import random
import zipfile
from collections import defaultdict
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from frictionless import validate

from members.models import Council, Member
from network_portal.models import AuditEvent
from tests.factories import CouncilFactory, MemberFactory, UserFactory
from training import research
from training.forms import FeedbackForm
from training.models import Booking, ResearchExportLog

from .factories import (
    BookingFactory,
    CourseFactory,
    FeedbackFactory,
    FollowUpFactory,
    ResearchProjectFactory,
    past_session,
    researcher_group,
)

pytestmark = pytest.mark.django_db

QI = research.QUASI_IDENTIFIERS


@pytest.fixture
def researcher(client):
    user = UserFactory()
    user.groups.add(researcher_group())
    client.force_login(user)
    return user


@pytest.fixture
def project(researcher):
    project = ResearchProjectFactory()
    project.researchers.add(researcher)
    return project


def _attend(member, session=None, **feedback):
    booking = BookingFactory(session=session or past_session(), member=member, attended=Booking.Attended.YES)
    FeedbackFactory(booking=booking, **feedback)
    return booking


def _download(client, project, **filters) -> dict[str, str]:
    response = client.get(reverse("training:research-package", args=[project.pk]), filters)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _table(files, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name])))


# --- Who may download ---------------------------------------------------------------


def test_package_is_only_for_researchers_on_the_project(client):
    project = ResearchProjectFactory()
    url = reverse("training:research-package", args=[project.pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403
    outsider = UserFactory()
    outsider.groups.add(researcher_group())
    client.force_login(outsider)
    assert client.get(url).status_code == 404  # a researcher on another project
    assert not ResearchExportLog.objects.exists()


def test_an_expired_project_cannot_download(client, researcher, project):
    project.agreement_signed_on = timezone.localdate() - timedelta(days=400)
    project.expires_on = timezone.localdate() - timedelta(days=1)
    project.save()
    response = client.get(reverse("training:research-package", args=[project.pk]))
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert not ResearchExportLog.objects.exists()
    assert "no more downloads" in client.get(reverse("training:research")).content.decode()


def test_a_malformed_filter_is_refused_with_a_message_and_nothing_logged(client, project):
    response = client.get(reverse("training:research-package", args=[project.pk]), {"year": "20x6"})
    assert response.status_code == 400
    assert "Enter a year as four digits" in response.content.decode()
    assert not ResearchExportLog.objects.exists()


# --- What is in it ------------------------------------------------------------------


def test_package_holds_consenting_members_only_without_names_or_emails(client, project):
    council = CouncilFactory()
    session = past_session(council=council)
    consenting = [MemberFactory(council=council, consent_research=True) for _ in range(5)]
    refusing = MemberFactory(council=council, consent_research=False)
    for member in consenting:
        _attend(member, session, will_do_differently="Ask every scrutiny panel", research_consent=True)
    _attend(refusing, session, will_do_differently="Private words")

    files = _download(client, project)
    body = "".join(files.values())
    rows = _table(files, "participants.csv")
    assert {row["participant"] for row in rows} == {research.pseudonym(project, m.pk) for m in consenting}
    assert "Private words" not in body
    for member in [*consenting, refusing]:
        assert member.user.email not in body
        assert member.user.get_full_name() not in files["participants.csv"] + files["breakdown.csv"]
    assert {row["council"] for row in rows} == {council.name}
    assert {row["will_do_differently"] for row in rows} == {"Ask every scrutiny panel"}


def test_package_keeps_free_text_only_with_research_consent_on_the_answer(client, project):
    council = CouncilFactory()
    session = past_session(council=council)
    members = [MemberFactory(council=council, consent_research=True) for _ in range(5)]
    _attend(members[0], session, will_do_differently="Shared with evaluators", research_consent=True)
    for member in members[1:]:
        _attend(member, session, will_do_differently="Not for evaluators", research_consent=False)
    FollowUpFactory(
        booking=Booking.objects.get(member=members[1]),
        influenced_policy=True,
        policy_area="housing",
        policy_description="Not for evaluators either",
        research_consent=False,
    )
    body = _download(client, project)["participants.csv"]
    assert "Shared with evaluators" in body
    assert "Not for evaluators" not in body
    assert "housing" in body


def test_package_defuses_spreadsheet_formulas(client, project):
    session = past_session(council=CouncilFactory())
    for _ in range(5):
        _attend(
            MemberFactory(council=session.council, consent_research=True),
            session,
            will_do_differently='=HYPERLINK("http://evil.example")',
            research_consent=True,
        )
    rows = _table(_download(client, project), "participants.csv")
    assert rows and all(row["will_do_differently"].startswith("'=") for row in rows)


def test_a_small_council_is_generalised_to_its_sub_region_not_published(client, project, london_councils):
    # Five councillors from Camden and four from Islington (both Central London)
    # at one pan-London session: Islington alone is below k, so councils are
    # released as sub-regions (both Central), and nothing is withheld.
    session = past_session()
    for name, n in (("Camden", 5), ("Islington", 4)):
        for _ in range(n):
            _attend(MemberFactory(council=london_councils.get(name=name), consent_research=True), session)
    files = _download(client, project)
    rows = _table(files, "participants.csv")
    assert len(rows) == 9
    assert {row["council"] for row in rows} == {"Central London"}
    assert "Islington" not in files["participants.csv"] + files["breakdown.csv"]
    assert "released as London Plan sub-region" in files["README.md"]
    assert _table(files, "breakdown.csv") == [{"council": "Central London", "role": "councillor", "people": "9"}]


def test_every_download_is_logged_and_audited_and_others_addresses_stay_hidden(client, researcher, project):
    colleague = UserFactory(email="colleague@evaluator.example")
    colleague.groups.add(researcher_group())
    project.researchers.add(colleague)
    ResearchExportLog.objects.create(user=colleague, kind="package", row_count=0, project=project)
    session = past_session(council=CouncilFactory())
    for _ in range(5):
        _attend(MemberFactory(council=session.council, consent_research=True), session)

    _download(client, project)
    _download(client, project, year=str(timezone.localtime(session.starts_at).year))
    logs = list(ResearchExportLog.objects.filter(user=researcher).order_by("downloaded_at"))
    assert [(log.project, log.kind, log.row_count) for log in logs] == [(project, "package", 5)] * 2
    assert logs[1].filters.startswith("year=")
    assert AuditEvent.objects.filter(actor=researcher, action="research_export").count() == 2
    page = client.get(reverse("training:research")).content.decode()
    assert colleague.email not in page
    assert "Another evaluator" in page


# --- Pseudonyms ---------------------------------------------------------------------


def test_pseudonyms_are_stable_within_a_project_and_differ_across_projects(settings):
    settings.RESEARCH_PSEUDONYM_KEY = "key-one"
    first, second = ResearchProjectFactory(), ResearchProjectFactory()
    assert research.pseudonym(first, 42) == research.pseudonym(first, 42)
    assert research.pseudonym(first, 43) != research.pseudonym(first, 42)
    assert research.pseudonym(second, 42) != research.pseudonym(first, 42)
    before = research.pseudonym(first, 42)
    settings.RESEARCH_PSEUDONYM_KEY = "key-two"
    # The stored salt alone does not give the pseudonyms: the server secret is needed too.
    assert research.pseudonym(first, 42) != before


def test_two_projects_downloads_cannot_be_joined_on_pseudonyms(client, researcher, project):
    other = ResearchProjectFactory()
    other.researchers.add(researcher)
    session = past_session(council=CouncilFactory())
    for _ in range(5):
        _attend(MemberFactory(council=session.council, consent_research=True), session)
    ours = {row["participant"] for row in _table(_download(client, project), "participants.csv")}
    theirs = {row["participant"] for row in _table(_download(client, other), "participants.csv")}
    assert len(ours) == len(theirs) == 5
    assert not ours & theirs


# --- The data package ---------------------------------------------------------------


def test_frictionless_validates_the_package_and_the_schema_quotes_each_question(client, project, tmp_path):
    course = CourseFactory(title="Mental Health and Wellbeing Training for Councillors")
    session = past_session(council=CouncilFactory(), course=course)
    for index in range(6):
        booking = _attend(
            MemberFactory(council=session.council, consent_research=True), session, rating="good", research_consent=True
        )
        if index % 2:
            FollowUpFactory(booking=booking, influenced_policy=True, policy_area="housing", research_consent=True)
    files = _download(client, project)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    descriptor = json.loads(files["datapackage.json"])
    paths = [r["path"] for r in descriptor["resources"]]
    assert paths == ["participants.csv", "breakdown.csv", "council_commitments.csv"]
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert str(FeedbackForm().fields["rating"].label) in fields["rating"]["description"]
    assert fields["rating"]["constraints"]["enum"] == ["excellent", "good", "average", "poor", "very_poor"]
    assert fields["confidence_self_after"]["constraints"]["enum"] == [1, 2, 3, 4, 5]
    assert "5 = 5 – very confident" in fields["confidence_self_after"]["description"]
    readme = files["README.md"]
    assert f"by portal version {descriptor['version']}" in readme
    assert "0 of 6 rows were\nwithheld" in readme


def test_frictionless_rejects_a_package_whose_data_breaks_its_schema(client, project, tmp_path):
    # The validation above can fail: a rating outside the scale is caught.
    session = past_session(council=CouncilFactory())
    for _ in range(5):
        _attend(MemberFactory(council=session.council, consent_research=True), session, rating="good")
    files = _download(client, project)
    files["participants.csv"] = files["participants.csv"].replace(",good,", ",splendid,", 1)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert not validate(tmp_path / "datapackage.json").valid


# --- Linkage attacks ----------------------------------------------------------------


def _population(seed: int, london_councils):
    """People at pan-London and council-specific sessions, with single-member
    councils, rare roles and people who trained more than once."""
    rng = random.Random(seed)
    councils = list(london_councils.order_by("gss_code"))
    courses = [CourseFactory(title=f"Course {seed}-{n}") for n in range(2)]
    big = councils[: 4 + seed % 3]
    lonely = councils[10 : 13 + seed % 2]  # one consenting member each
    sessions = [past_session(council=c, course=rng.choice(courses), days_ago=rng.randint(20, 500)) for c in big]
    sessions += [past_session(course=rng.choice(courses), days_ago=rng.randint(20, 500)) for _ in range(4)]
    people = []
    for council in big:
        people += [MemberFactory(council=council, consent_research=True) for _ in range(rng.randint(3, 9))]
    people += [MemberFactory(council=council, consent_research=True) for council in lonely]
    people.append(MemberFactory(council=big[0], role=Member.Role.OFFICER, consent_research=True))
    people.append(MemberFactory(council=None, role=Member.Role.PARTNER, consent_research=True, organisation="NHS"))
    people += [MemberFactory(council=rng.choice(big), consent_research=False) for _ in range(3)]
    for member in people:
        for session in rng.sample(sessions, rng.choice([1, 1, 1, 2, 3])):
            _attend(member, session, rating=rng.choice(["excellent", "good", "poor"]))
    return courses


def _classes(rows) -> dict[tuple, set]:
    people = defaultdict(set)
    for row in rows:
        people[tuple(row[name] for name in QI)].add(row["participant"])
    return people


def _person_sets(rows) -> dict[frozenset, set]:
    combos = defaultdict(set)
    for row in rows:
        combos[row["participant"]].add(tuple(row[name] for name in QI))
    groups = defaultdict(set)
    for person, combo in combos.items():
        groups[frozenset(combo)].add(person)
    return groups


def _assert_k_anonymous(rows, k):
    for key, people in _classes(rows).items():
        assert len(people) >= k, f"combination {key} covers only {len(people)} people"
    # The pseudonym links a person's rows: their set of combinations must not single them out either.
    for combo, people in _person_sets(rows).items():
        assert len(people) >= k, f"{len(people)} people share the set of combinations {sorted(combo)}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_linkage_attack_on_released_files_finds_no_group_smaller_than_k(client, project, london_councils, seed):
    courses = _population(seed, london_councils)
    k = project.k
    full = _download(client, project)
    rows = _table(full, "participants.csv")
    assert rows, "the release is not empty: the test really checks something"
    _assert_k_anonymous(rows, k)

    # The breakdown adds nothing to the participants file: every cell is at
    # least k and equals what the participants file already says.
    derived = defaultdict(set)
    for row in rows:
        derived[(row["council"], row["role"])].add(row["participant"])
    breakdown = {(r["council"], r["role"]): int(r["people"]) for r in _table(full, "breakdown.csv")}
    assert breakdown == {cell: len(people) for cell, people in derived.items()}
    assert min(breakdown.values()) >= k

    # The attack: a council-specific session's council cannot be
    # narrowed below k people by counting pseudonyms.
    for session_for, people in _people_by(rows, "session_for").items():
        assert len(people) >= k, session_for

    # Two downloads with different filters are unions of whole combinations of
    # the full release, so neither they nor their difference single anyone out.
    year = sorted({row["session_period"][:4] for row in rows})[0]
    by_year = _table(_download(client, project, year=year), "participants.csv")
    by_course = _table(_download(client, project, course=courses[0].title), "participants.csv")
    full_classes = _classes(rows)
    for filtered in (by_year, by_course):
        assert {tuple(r.items()) for r in filtered} <= {tuple(r.items()) for r in rows}
        for key, people in _classes(filtered).items():
            assert people == full_classes[key]
        _assert_k_anonymous(filtered, k)
    filtered_keys = {tuple(r.items()) for r in by_course}
    difference = [r for r in by_year if tuple(r.items()) not in filtered_keys]
    _assert_k_anonymous(difference, k)


def _people_by(rows, column) -> dict[str, set]:
    people = defaultdict(set)
    for row in rows:
        people[row[column]].add(row["participant"])
    return people


def test_a_single_member_council_at_its_own_session_is_never_released_as_that_council(client, project, london_councils):
    lonely = london_councils.get(name="Sutton")
    _attend(MemberFactory(council=lonely, consent_research=True), past_session(council=lonely))
    session = past_session()
    for _ in range(6):
        _attend(MemberFactory(council=london_councils.get(name="Camden"), consent_research=True), session)
    files = _download(client, project)
    assert "Sutton" not in files["participants.csv"] + files["breakdown.csv"]
    _assert_k_anonymous(_table(files, "participants.csv"), project.k)


def test_subregions_come_from_council_data(london_councils):
    assert Council.objects.filter(subregion="").count() == 0
    assert sorted(set(Council.objects.values_list("subregion", flat=True))) == [
        "Central",
        "East",
        "North",
        "South",
        "West",
    ]
    assert london_councils.get(name="City of London").subregion == "Central"
