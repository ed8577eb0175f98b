import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from members.models import Member
from resources.models import Download, Resource, Visibility
from tests.factories import MemberFactory, UserFactory

from .factories import ResourceFactory

pytestmark = pytest.mark.django_db

PDF_TYPE = "application/pdf"


def _login_as(client, who):
    if who == "anonymous":
        return None
    if who == "staff":
        user = UserFactory(is_staff=True)
    else:
        user = MemberFactory(status=Member.Status.PENDING if who == "pending" else Member.Status.APPROVED).user
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("who", "visibility", "status"),
    [
        ("anonymous", Visibility.PUBLIC, 200),
        ("pending", Visibility.PUBLIC, 200),
        ("approved", Visibility.PUBLIC, 200),
        ("staff", Visibility.PUBLIC, 200),
        ("anonymous", Visibility.MEMBERS, 302),
        ("pending", Visibility.MEMBERS, 403),
        ("approved", Visibility.MEMBERS, 200),
        ("staff", Visibility.MEMBERS, 200),
    ],
)
def test_download_access_matrix(client, who, visibility, status):
    resource = ResourceFactory(with_file=True, visibility=visibility, download_name="Housing briefing.pdf")
    user = _login_as(client, who)
    url = resource.get_download_url()

    response = client.get(url)

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == PDF_TYPE
        assert response["Content-Disposition"] == (
            "attachment; filename=\"Housing briefing.pdf\"; filename*=UTF-8''Housing%20briefing.pdf"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Length"] == str(resource.file_size)
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert Download.objects.get(resource=resource).user == user
    else:
        assert "Content-Disposition" not in response
        assert not Download.objects.exists()
    if status == 302:
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    if status == 403:
        assert "waiting for approval" in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "pending", "approved"])
def test_draft_resource_is_not_found_except_for_staff(client, who):
    resource = ResourceFactory(with_file=True, visibility=Visibility.PUBLIC, status=Resource.Status.DRAFT)
    _login_as(client, who)

    assert client.get(resource.get_download_url()).status_code == 404
    assert client.get(resource.get_absolute_url()).status_code == 404


def test_staff_can_download_a_draft(client):
    resource = ResourceFactory(with_file=True, status=Resource.Status.DRAFT)
    _login_as(client, "staff")

    assert client.get(resource.get_download_url()).status_code == 200


def test_unknown_slug_is_404(client):
    assert client.get(reverse("resources:download", kwargs={"slug": "no-such-thing"})).status_code == 404
    assert client.get(reverse("resources:detail", kwargs={"slug": "no-such-thing"})).status_code == 404


def test_link_resource_download_is_logged_and_redirects_to_the_link(client):
    resource = ResourceFactory(url="https://example.org/toolkit", visibility=Visibility.PUBLIC)

    response = client.get(resource.get_download_url())

    assert response.status_code == 302
    assert response["Location"] == "https://example.org/toolkit"
    assert Download.objects.filter(resource=resource, user=None).count() == 1


def test_x_accel_redirect_mode_hands_the_file_to_nginx(client, settings):
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/protected-files/"
    resource = ResourceFactory(with_file=True, visibility=Visibility.PUBLIC)

    response = client.get(resource.get_download_url())

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-files/{resource.file.name}"
    assert response["Content-Type"] == PDF_TYPE
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response.content == b""


def test_file_missing_from_storage_is_404_not_500(client):
    resource = ResourceFactory(with_file=True, visibility=Visibility.PUBLIC)
    from network_portal import uploads

    uploads.private_storage.delete(resource.file.name)

    assert client.get(resource.get_download_url()).status_code == 404


def test_my_downloads_lists_what_the_member_downloaded(client, rf):
    member = MemberFactory()
    client.force_login(member.user)
    mine = ResourceFactory(with_file=True, title="Suicide prevention briefing")
    ResourceFactory(with_file=True, title="Something I never opened")
    client.get(mine.get_download_url())
    request = rf.get("/account/")
    request.user = member.user

    section = render_to_string("resources/_account_section.html", {"user": member.user}, request=request)

    assert "My downloads" in section
    assert "Suicide prevention briefing" in section
    assert "Something I never opened" not in section
