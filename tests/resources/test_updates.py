from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from resources import services
from resources.models import Organisation, Update, Visibility
from tests.factories import MemberFactory, UserFactory

from .factories import UpdateFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def partner(organisation="North London NHS Partnership", **kwargs):
    return MemberFactory(role=Member.Role.PARTNER, council=None, organisation=organisation, **kwargs)


def test_list_shows_public_updates_to_everyone_and_members_only_to_approved_members(client):
    UpdateFactory(title="Open news")
    UpdateFactory(title="Member news", visibility=Visibility.MEMBERS)
    UpdateFactory(title="Waiting news", status=Update.Status.SUBMITTED, published_at=None)

    anonymous = client.get(reverse("resources:update-list")).content.decode()
    client.force_login(MemberFactory().user)
    member = client.get(reverse("resources:update-list")).content.decode()

    assert "Open news" in anonymous and "Member news" not in anonymous
    assert "Open news" in member and "Member news" in member
    assert "Waiting news" not in anonymous + member


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("pending", 403), ("approved", 200), ("staff", 200)])
def test_members_only_update_detail_access(client, who, status):
    update = UpdateFactory(visibility=Visibility.MEMBERS)
    if who == "staff":
        client.force_login(UserFactory(is_staff=True))
    elif who != "anonymous":
        client.force_login(MemberFactory(status=who).user)

    assert client.get(update.get_absolute_url()).status_code == status


def test_unpublished_or_unknown_update_is_404(client):
    waiting = UpdateFactory(status=Update.Status.SUBMITTED, published_at=None)

    assert client.get(waiting.get_absolute_url()).status_code == 404
    assert client.get(reverse("resources:update-detail", kwargs={"slug": "nope"})).status_code == 404


def test_home_page_shows_the_latest_three_updates(client):
    now = timezone.now()
    for days in range(5):
        UpdateFactory(title=f"Update {days} days old", published_at=now - timedelta(days=days, hours=1))

    page = client.get(reverse("home")).content.decode()

    assert all(f"Update {d} days old" in page for d in range(3))
    assert "Update 3 days old" not in page and "Update 4 days old" not in page


def test_atom_feed_lists_only_public_published_updates(client):
    UpdateFactory(title="Public & open", body="**News**")
    UpdateFactory(title="Members only news", visibility=Visibility.MEMBERS)
    UpdateFactory(title="Not yet", status=Update.Status.SUBMITTED, published_at=None)

    response = client.get(reverse("resources:update-feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed, not untrusted input
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == ["Public & open"]


def test_partner_drafts_an_update_for_their_organisation_and_staff_approve_it(client, admin_user):
    Organisation.objects.create(name="North London NHS Partnership", slug="nlnp")
    author = partner(organisation="north london nhs  partnership")
    client.force_login(author.user)

    response = client.post(
        reverse("resources:update-create"),
        {"title": "Winter wellbeing fund", "body": "Apply by March.", "visibility": "public"},
    )

    assert response.status_code == 302
    update = Update.objects.get()
    assert (update.status, update.organisation.slug, update.author) == ("submitted", "nlnp", author.user)
    assert client.get(reverse("resources:update-list")).content.decode().count("Winter wellbeing fund") == 0

    client.force_login(admin_user)
    client.post(
        reverse("admin:resources_update_changelist"),
        {"action": "approve", "_selected_action": [update.pk]},
    )
    update.refresh_from_db()
    assert update.status == Update.Status.PUBLISHED and update.published_at and update.approved_by == admin_user
    assert "Winter wellbeing fund" in client.get(reverse("resources:update-list")).content.decode()


@pytest.mark.parametrize("role", [Member.Role.COUNCILLOR, Member.Role.OFFICER])
def test_only_partners_may_draft_updates(client, role):
    client.force_login(MemberFactory(role=role).user)

    response = client.post(reverse("resources:update-create"), {"title": "x", "body": "y", "visibility": "public"})

    assert response.status_code == 403
    assert not Update.objects.exists()


def test_pending_partner_may_not_draft_updates(client):
    client.force_login(partner(status=Member.Status.PENDING).user)

    assert client.get(reverse("resources:update-create")).status_code == 403


def test_unknown_partner_organisation_is_created_once():
    author = partner(organisation="Brand New Charity")

    services.update_submit(member=author, title="One", body="b", visibility="public")
    services.update_submit(member=author, title="One", body="b", visibility="public")

    assert Organisation.objects.filter(name="Brand New Charity").count() == 1
    assert sorted(Update.objects.values_list("slug", flat=True)) == ["one", "one-2"]
