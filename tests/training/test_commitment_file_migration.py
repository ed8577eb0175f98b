"""Evidence documents uploaded before the register used a FileField are kept:
the data migration copies each evidence_file_key into evidence_file unchanged,
so the same file on disk is served by the same URL. Runs the real migrations
on PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from tests.resources import files
from training.models import Commitment

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("training", "0010_council_commitments")]
AFTER = [("training", "0011_commitment_evidence_file_through_storage")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def old_apps(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PRIVATE_FILES_ACCEL_PREFIX = ""
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _entries_before_the_migration(apps, root):
    """A verified entry with a document as the old code stored it, and one with only a link."""
    council = apps.get_model("members", "Council").objects.create(
        gss_code="E09999998", name="Evidenceham", official_name="London Borough of Evidenceham", abbr="EVH",
        slug="evidenceham-migration", email_domains="evidenceham.gov.uk", grid_col=98, grid_row=98,
    )  # fmt: skip
    key = f"commitments/{uuid.uuid4().hex}.pdf"
    (root / "commitments").mkdir(parents=True)
    (root / key).write_bytes(files.pdf("Motion"))
    common = {"council": council, "kind": "motion", "summary": "Signed the Challenge", "status": "verified",
              "happened_on": timezone.localdate() - timedelta(days=3), "verified_at": timezone.now()}  # fmt: skip
    commitments = apps.get_model("training", "Commitment").objects
    with_document = commitments.create(**common, evidence_file_key=key, evidence_file_name="Motion.pdf")
    with_link = commitments.create(**common, evidence_url="https://example.gov.uk/motion")
    return with_document, with_link


def test_documents_uploaded_before_the_migration_are_served_by_the_same_url_after_it(old_apps, settings, client):
    with_document, with_link = _entries_before_the_migration(old_apps, settings.PRIVATE_STORAGE_ROOT)

    _migrate(AFTER)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Commitment.objects.get(pk=with_document.pk).evidence_file.name == with_document.evidence_file_key
    assert Commitment.objects.get(pk=with_link.pk).evidence_file.name == ""
    response = client.get(reverse("training:commitment-evidence", args=[with_document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == files.pdf("Motion")
    assert 'filename="Motion.pdf"' in response["Content-Disposition"]


def test_the_migration_reverses_to_the_same_keys(old_apps, settings):
    with_document, with_link = _entries_before_the_migration(old_apps, settings.PRIVATE_STORAGE_ROOT)
    _migrate(AFTER)

    apps = _migrate(BEFORE)

    commitments = apps.get_model("training", "Commitment").objects
    assert commitments.get(pk=with_document.pk).evidence_file_key == with_document.evidence_file_key
    assert commitments.get(pk=with_link.pk).evidence_file_key == ""
