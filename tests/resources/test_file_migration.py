"""Files uploaded before the move to the storage API are kept: the data
migrations copy each file_key into the FileField unchanged, so the same file on
disk is served by the same URL. Runs the real migrations on PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from meetings.models import Paper
from resources.models import CaseStudy, Resource
from tests.factories import UserFactory

from . import files

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("resources", "0007_topic_moved_to_members"), ("meetings", "0001_meetings")]
AFTER = [("resources", "0008_files_through_storage"), ("meetings", "0002_paper_file_through_storage")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # The models as the database now has them: every app's applied migrations,
    # not only the targets' own history.
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_upload(root, folder, content):
    """A file as the old code wrote it: <root>/<folder>/<32 hex>.pdf, its key kept in file_key."""
    key = f"{folder}/{uuid.uuid4().hex}.pdf"
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(content)
    return key


def _rows_before_the_migration(apps, root):
    now = timezone.now()
    council = apps.get_model("members", "Council").objects.create(
        gss_code="E09999999", name="Testham", official_name="London Borough of Testham", abbr="TST",
        slug="testham-migration", email_domains="testham.gov.uk", grid_col=99, grid_row=99,
    )  # fmt: skip
    resource = apps.get_model("resources", "Resource").objects.create(
        title="Old briefing", slug="old-briefing", summary="Uploaded before.", kind="briefing",
        file_key=_old_upload(root, "resources", files.pdf("resource")), file_name="Old briefing.pdf",
        file_size=len(files.pdf("resource")), visibility="public", status="published", published_at=now,
    )  # fmt: skip
    case_study = apps.get_model("resources", "CaseStudy").objects.create(
        title="Old case study", council=council, what_we_did="Training.", outcome="Referrals.",
        file_key=_old_upload(root, "case-studies", files.pdf("case study")), file_name="Evaluation.pdf",
    )  # fmt: skip
    meeting = apps.get_model("meetings", "Meeting").objects.create(
        title="Network meeting", slug="network-meeting-migration", starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=7, hours=2), chair="The chair", status="published",
    )  # fmt: skip
    paper = apps.get_model("meetings", "Paper").objects.create(
        meeting=meeting, title="Agenda pack", file_key=_old_upload(root, "meeting-papers", files.pdf("paper")),
        file_name="Agenda pack.pdf", visibility="public",
    )  # fmt: skip
    return {
        reverse("resources:download", kwargs={"slug": resource.slug}): (Resource, resource, files.pdf("resource")),
        reverse("resources:casestudy-attachment", args=[case_study.pk]): (
            CaseStudy, case_study, files.pdf("case study"),
        ),
        reverse("meetings:paper", kwargs={"slug": meeting.slug, "pk": paper.pk}): (Paper, paper, files.pdf("paper")),
    }  # fmt: skip


def test_files_uploaded_before_the_migration_are_served_by_the_same_urls_after_it(old_apps, private_storage, client):
    before = _rows_before_the_migration(old_apps, private_storage)
    on_disk = sorted(p for p in private_storage.rglob("*") if p.is_file())

    _migrate(AFTER)
    # The views read today's models, so bring every app up to date first.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    client.force_login(UserFactory(is_staff=True))
    for url, (model, old_row, content) in before.items():
        row = model.objects.get(pk=old_row.pk)
        assert row.file.name == old_row.file_key
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == content
        assert f'filename="{old_row.file_name}"' in response["Content-Disposition"]
    assert sorted(p for p in private_storage.rglob("*") if p.is_file()) == on_disk


def test_the_migration_reverses_to_the_same_keys(old_apps, private_storage):
    before = _rows_before_the_migration(old_apps, private_storage)
    _migrate(AFTER)

    apps = _migrate(BEFORE)

    for model, old_row, _ in before.values():
        again = apps.get_model(model._meta.app_label, model.__name__).objects.get(pk=old_row.pk)
        assert again.file_key == old_row.file_key
