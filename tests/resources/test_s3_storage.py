"""Several web hosts share no disk, so PRIVATE_STORAGE=s3 keeps files in an
S3-compatible bucket. This runs the whole upload and download path against
moto's standalone S3 server on loopback, configured by the same environment
variables a deployment sets."""

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from resources.models import CaseStudy, Resource
from tests.factories import MemberFactory, UserFactory

from . import files
from .test_admin import ADD, add_form
from .test_file_lifecycle import change_form

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-2"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_environment(s3_endpoint):
    return {
        "PRIVATE_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": f"portal-files-{uuid.uuid4().hex[:12]}",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": "portal-test",
        "AWS_SECRET_ACCESS_KEY": "portal-test-secret",
    }


@pytest.fixture(scope="module")
def s3_private_storage_config(s3_environment):
    """STORAGES["private"] exactly as settings.py builds it from those variables."""
    env = {**os.environ, **s3_environment, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "network_portal.settings"}
    script = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['private']))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def bucket(settings, s3_environment, s3_private_storage_config, private_storage):
    client = boto3.client(
        "s3",
        endpoint_url=s3_environment["AWS_S3_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id=s3_environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_environment["AWS_SECRET_ACCESS_KEY"],
    )
    name = s3_environment["AWS_STORAGE_BUCKET_NAME"]
    if name not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    settings.STORAGES = {**settings.STORAGES, "private": s3_private_storage_config}
    yield lambda: sorted(item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", []))
    assert not private_storage.exists() or not any(private_storage.rglob("*.*")), "nothing goes to local disk"


def _upload_resource(admin_client, content, name="Housing Briefing.pdf", **extra):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = admin_client.post(ADD, add_form(upload=upload, **extra))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Resource.objects.get()


def test_s3_settings_select_the_django_storages_backend(s3_private_storage_config, s3_environment):
    assert s3_private_storage_config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3_private_storage_config["OPTIONS"]
    assert options["bucket_name"] == s3_environment["AWS_STORAGE_BUCKET_NAME"]
    assert options["endpoint_url"] == s3_environment["AWS_S3_ENDPOINT_URL"]
    assert (options["default_acl"], options["file_overwrite"], options["querystring_auth"]) == (None, False, True)


def test_admin_upload_goes_to_the_bucket_and_is_streamed_to_a_member_after_the_check(client, admin_client, bucket):
    content = files.pdf("Stored in object storage")

    resource = _upload_resource(admin_client, content)

    assert bucket() == [resource.file.name]
    assert resource.file.name.startswith("resources/") and "Housing" not in resource.file.name
    assert client.get(resource.get_download_url()).status_code == 302  # anonymous: sign in first
    client.force_login(MemberFactory().user)
    response = client.get(resource.get_download_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"].startswith('attachment; filename="Housing Briefing.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"


def test_redirect_mode_hands_out_a_short_lived_signed_url_only_after_the_check(client, admin_client, bucket, settings):
    settings.PRIVATE_FILES_REDIRECT_SECONDS = 30
    content = files.pdf("Signed link")
    resource = _upload_resource(admin_client, content)
    client.force_login(MemberFactory(status="pending").user)

    assert client.get(resource.get_download_url()).status_code == 403
    client.force_login(MemberFactory().user)
    response = client.get(resource.get_download_url())

    assert response.status_code == 302
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(settings.STORAGES["private"]["OPTIONS"]["endpoint_url"])
    assert query["X-Amz-Expires"] == ["30"] and "X-Amz-Signature" in query
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 (loopback test server)
        assert fetched.read() == content
        assert fetched.headers["Content-Type"] == "application/pdf"
        assert fetched.headers["Content-Disposition"].startswith('attachment; filename="Housing Briefing.pdf"')


def test_replacing_and_deleting_remove_the_old_objects(admin_client, bucket, django_capture_on_commit_callbacks):
    resource = _upload_resource(admin_client, files.pdf("First"))
    first = resource.file.name
    change = reverse("admin:resources_resource_change", args=[resource.pk])
    form = change_form(resource, upload=SimpleUploadedFile("Second.pdf", files.pdf("Second")))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    resource.refresh_from_db()
    assert resource.file.name != first and bucket() == [resource.file.name]
    assert resource.file.read() == files.pdf("Second")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:resources_resource_delete", args=[resource.pk]), {"post": "yes"})
    assert bucket() == []


def test_case_study_attachment_round_trip_through_the_bucket(client, bucket, topics):
    member = MemberFactory()
    client.force_login(member.user)
    data = {
        "title": "Evaluation",
        "council": member.council.pk,
        "topics": [topics.first().pk],
        "what_we_did": "We trained officers.",
        "outcome": "Earlier referrals.",
        "attachment": SimpleUploadedFile("Our evaluation.pdf", files.pdf("Evaluation")),
    }

    assert client.post(reverse("resources:casestudy-create"), data).status_code == 302
    case_study = CaseStudy.objects.get()
    assert bucket() == [case_study.file.name]
    url = reverse("resources:casestudy-attachment", args=[case_study.pk])
    assert b"".join(client.get(url).streaming_content) == files.pdf("Evaluation")
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 403


def test_object_missing_from_the_bucket_is_404(client, admin_client, bucket, settings):
    resource = _upload_resource(admin_client, files.pdf(), visibility="public")
    resource.file.storage.delete(resource.file.name)
    client.force_login(UserFactory())

    assert client.get(resource.get_download_url()).status_code == 404
