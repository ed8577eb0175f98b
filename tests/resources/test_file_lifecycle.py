"""A stored file lives exactly as long as a row names it: replacing or deleting
removes the old file once the change commits, and a failed save leaves none behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from network_portal import uploads
from resources import services
from resources.models import CaseStudy, Resource
from tests.factories import UserFactory

from . import files
from .factories import CaseStudyFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def stored(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def change_form(resource, **extra):
    return {
        "title": resource.title,
        "slug": resource.slug,
        "kind": resource.kind,
        "summary": resource.summary,
        "body": resource.body,
        "source": resource.source_id or "",
        "council": resource.council_id or "",
        "url": resource.url,
        "visibility": resource.visibility,
        "status": resource.status,
        "published_at_0": "",
        "published_at_1": "",
        **extra,
    }


def test_replacing_a_resource_file_in_admin_deletes_the_old_file_after_commit(
    admin_client, private_storage, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(with_file=True)
    old_name = resource.file.name
    upload = SimpleUploadedFile("Briefing v2.pdf", files.pdf("Version two"))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:resources_resource_change", args=[resource.pk]), change_form(resource, upload=upload)
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    resource.refresh_from_db()
    assert resource.file.name != old_name
    assert (resource.file_name, resource.file_size) == ("Briefing v2.pdf", len(files.pdf("Version two")))
    assert stored(private_storage) == [resource.file.name]
    assert resource.file.read() == files.pdf("Version two")


def test_old_file_stays_until_the_replacement_commits(private_storage, django_capture_on_commit_callbacks):
    resource = ResourceFactory(with_file=True)
    old_name = resource.file.name

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.resource_save(resource=resource, upload=SimpleUploadedFile("new.pdf", files.pdf("new")))

    assert sorted(stored(private_storage)) == sorted([old_name, resource.file.name])
    for callback in callbacks:
        callback()
    assert stored(private_storage) == [resource.file.name]


def test_a_save_that_fails_deletes_the_new_file_and_keeps_the_old(private_storage):
    resource = ResourceFactory(with_file=True)
    taken = ResourceFactory()
    old_name, before = resource.file.name, stored(private_storage)
    resource.slug = taken.slug  # unique: the UPDATE fails after the new file is stored

    with pytest.raises(IntegrityError):
        services.resource_save(resource=resource, upload=SimpleUploadedFile("new.pdf", files.pdf("new")))

    assert resource.file.name == old_name
    assert old_name in before and stored(private_storage) == before


def test_a_disguised_replacement_is_refused_and_the_old_file_kept(admin_client, private_storage):
    resource = ResourceFactory(with_file=True)
    upload = SimpleUploadedFile("briefing.pdf", files.HTML)

    response = admin_client.post(
        reverse("admin:resources_resource_change", args=[resource.pk]), change_form(resource, upload=upload)
    )

    assert response.status_code == 200
    assert "does not look like a real PDF" in str(response.context["adminform"].form.errors)
    assert stored(private_storage) == [Resource.objects.get().file.name]


def test_deleting_resources_in_admin_deletes_their_files(
    admin_client, private_storage, django_capture_on_commit_callbacks
):
    one, two = ResourceFactory(with_file=True), ResourceFactory(with_file=True)
    link_only = ResourceFactory()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:resources_resource_delete", args=[one.pk]), {"post": "yes"})
    assert stored(private_storage) == [two.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:resources_resource_changelist"),
            {"action": "delete_selected", "_selected_action": [two.pk, link_only.pk], "post": "yes"},
        )
    assert not Resource.objects.exists()
    assert stored(private_storage) == []


def test_a_case_study_and_its_published_resource_share_one_file_until_both_are_gone(
    admin_client, private_storage, django_capture_on_commit_callbacks
):
    attachment = uploads.store_bytes(files.pdf(), display_name="evidence.pdf", folder="case-studies")
    case_study = CaseStudyFactory(file=attachment.name, file_name="evidence.pdf")
    resource = services.casestudy_publish(case_study_id=case_study.pk, staff_user=UserFactory(is_staff=True))
    assert resource.file.name == case_study.file.name

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:resources_resource_delete", args=[resource.pk]), {"post": "yes"})
    assert stored(private_storage) == [attachment.name]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:resources_casestudy_delete", args=[case_study.pk]), {"post": "yes"})
    assert not CaseStudy.objects.exists()
    assert stored(private_storage) == []


def test_replacing_a_published_case_study_file_keeps_the_submitted_attachment(
    private_storage, django_capture_on_commit_callbacks
):
    attachment = uploads.store_bytes(files.pdf(), display_name="evidence.pdf", folder="case-studies")
    case_study = CaseStudyFactory(file=attachment.name, file_name="evidence.pdf")
    resource = services.casestudy_publish(case_study_id=case_study.pk, staff_user=UserFactory(is_staff=True))

    with django_capture_on_commit_callbacks(execute=True):
        services.resource_save(resource=resource, upload=SimpleUploadedFile("summary.pdf", files.pdf("summary")))

    assert sorted(stored(private_storage)) == sorted([attachment.name, resource.file.name])
