import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from resources.models import Download, Organisation, Resource

from . import files
from .factories import ResourceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:resources_resource_changelist")
ADD = reverse("admin:resources_resource_add")


def add_form(**extra):
    source = Organisation.objects.create(name="Thrive LDN", slug="thrive-ldn")
    return {
        "title": "Housing briefing",
        "slug": "housing-briefing",
        "kind": "briefing",
        "summary": "Housing and mental health.",
        "body": "",
        "source": source.pk,
        "visibility": "members",
        "status": "published",
        "url": "",
        **extra,
    }


def test_staff_upload_a_resource_file_in_admin(admin_client, private_storage):
    upload = SimpleUploadedFile("Housing Briefing 2026.pdf", files.pdf(), content_type="application/pdf")

    response = admin_client.post(ADD, add_form(upload=upload))

    assert response.status_code == 302, response.context["adminform"].form.errors
    resource = Resource.objects.get()
    assert resource.file_name == "Housing Briefing 2026.pdf"
    assert resource.published_at is not None
    path = Path(resource.file.path)
    assert private_storage.resolve() in path.parents and "Housing" not in path.name


def test_admin_rejects_a_disguised_upload_and_stores_nothing(admin_client, private_storage):
    upload = SimpleUploadedFile("briefing.pdf", files.HTML, content_type="application/pdf")

    response = admin_client.post(ADD, add_form(upload=upload))

    assert response.status_code == 200
    assert "does not look like a real PDF" in str(response.context["adminform"].form.errors)
    assert not Resource.objects.exists()
    assert not private_storage.exists() or not any(private_storage.rglob("*.*"))


def test_admin_refuses_to_publish_without_a_file_or_link(admin_client):
    response = admin_client.post(ADD, add_form())

    assert response.status_code == 200
    assert "needs a file or an external link" in str(response.context["adminform"].form.errors)


def test_changelist_shows_download_counts(admin_client):
    popular, quiet = ResourceFactory(title="Popular"), ResourceFactory(title="Quiet")
    Download.objects.bulk_create([Download(resource=popular) for _ in range(3)])

    response = admin_client.get(CHANGELIST, {"o": "-7"})

    rows = list(response.context["cl"].result_list)
    assert [(r.title, r._downloads) for r in rows] == [("Popular", 3), ("Quiet", 0)]
    assert quiet in rows


def test_publish_and_unpublish_actions(admin_client):
    draft = ResourceFactory(status=Resource.Status.DRAFT, published_at=None)
    empty_draft = ResourceFactory(status=Resource.Status.DRAFT, published_at=None, url="")
    live = ResourceFactory()

    admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk, empty_draft.pk]})
    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [live.pk]})

    draft.refresh_from_db(), empty_draft.refresh_from_db(), live.refresh_from_db()
    assert draft.status == "published" and draft.published_at is not None
    assert empty_draft.status == "draft"
    assert live.status == "draft"


def test_every_field_is_classified_for_privacy():
    from members.privacy import unclassified_fields

    assert unclassified_fields(list(apps.get_app_config("resources").get_models())) == []


def test_demo_seed_is_labelled_valid_and_idempotent(private_storage):
    out = io.StringIO()
    from resources import demo

    demo.seed(out)
    demo.seed(out)

    resources = list(Resource.objects.all())
    assert len(resources) == len(demo.RESOURCES) + 1
    assert all("demo" in r.title.lower() and demo.DEMO_NOTE in r.summary for r in resources)
    for resource in resources:
        if resource.file:
            content = resource.file.read()
            assert content.startswith(b"%PDF-") and b"DEMO" in content
    call_command("check")
