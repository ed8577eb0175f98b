"""The members' directory: consented, approved members only, with filters and a query budget."""

import pytest
from django.urls import reverse

from members.models import Member, User

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(signed_in_member):
    return signed_in_member


def _listed(response) -> set[int]:
    return {member.pk for member in response.context["page"].object_list}


def test_lists_only_approved_members_who_consented(client, viewer, camden):
    listed = member_at(camden, consent_directory=True)
    member_at(camden, consent_directory=False)
    member_at(camden, status="pending", consent_directory=True)
    member_at(camden, status="former", consent_directory=True)
    gone = member_at(camden, consent_directory=True)
    User.objects.filter(pk=gone.user_id).update(is_active=False)

    response = client.get(reverse("members:directory"))

    assert _listed(response) == {listed.pk}
    assert listed.user.get_full_name() in response.content.decode()


def test_directory_never_shows_email_addresses(client, viewer, camden):
    listed = member_at(camden, consent_directory=True)
    response = client.get(reverse("members:directory"))
    assert listed.user.email not in response.content.decode()


def test_filters_by_council_role_champion_and_interest(client, viewer, camden, hackney, topics):
    housing = topics.get(slug="housing")
    camden_councillor = member_at(camden, consent_directory=True)
    hackney_officer = member_at(hackney, role="officer", consent_directory=True)
    champion = member_at(hackney, consent_directory=True)
    AppointmentFactory(member=champion)
    camden_councillor.interests.add(housing)

    def listed(**params):
        return _listed(client.get(reverse("members:directory"), params))

    assert listed(council=hackney.pk) == {hackney_officer.pk, champion.pk}
    assert listed(role="officer") == {hackney_officer.pk}
    assert listed(champion="on") == {champion.pk}
    assert listed(interest="housing") == {camden_councillor.pk}
    assert listed(council=hackney.pk, role="councillor") == {champion.pk}


def test_searches_by_first_or_last_name(client, viewer, camden):
    target = member_at(camden, consent_directory=True, user__first_name="Marguerite", user__last_name="Okonkwo")
    member_at(camden, consent_directory=True, user__first_name="Bob", user__last_name="Smith")
    assert _listed(client.get(reverse("members:directory"), {"q": "okonk"})) == {target.pk}
    assert _listed(client.get(reverse("members:directory"), {"q": "Marguerite Okonkwo"})) == {target.pk}


def test_directory_is_paginated_and_keeps_filters_in_page_links(client, viewer, camden, settings):
    size = settings.MEMBERS_DIRECTORY_PAGE_SIZE
    for _ in range(size + 3):
        member_at(camden, consent_directory=True)

    first = client.get(reverse("members:directory"), {"council": camden.pk})
    second = client.get(reverse("members:directory"), {"council": camden.pk, "page": 2})

    assert len(first.context["page"].object_list) == size
    assert len(second.context["page"].object_list) == 3
    assert f"council={camden.pk}&amp;page=2" in first.content.decode()


def test_bad_page_number_shows_the_last_page_rather_than_failing(client, viewer, camden):
    member_at(camden, consent_directory=True)
    response = client.get(reverse("members:directory"), {"page": "999"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1


def _bulk_listed_members(count, council, topics):
    """Many members without password hashing, which would dominate the test's time."""
    users = User.objects.bulk_create(
        User(email=f"bulk{i}@example.org", first_name=f"First{i}", last_name=f"Last{i}", password="!")
        for i in range(count)
    )
    members = Member.objects.bulk_create(
        Member(user=user, role="councillor", council=council, ward="Ward", status="approved", consent_directory=True)
        for user in users
    )
    through = Member.interests.through
    topic_list = list(topics)
    through.objects.bulk_create(
        through(member_id=member.pk, topic_id=topic_list[i % len(topic_list)].pk) for i, member in enumerate(members)
    )
    for member in members[:5]:
        AppointmentFactory(member=member)
    return members


@pytest.mark.parametrize("volume", [20, 2000])
@pytest.mark.parametrize("params", [{}, {"interest": "housing", "champion": "on"}, {"q": "Last1", "page": "2"}])
def test_directory_page_runs_at_most_ten_queries(
    client, viewer, camden, topics, volume, params, django_assert_max_num_queries
):
    _bulk_listed_members(volume, camden, topics)

    with django_assert_max_num_queries(10) as queries:
        response = client.get(reverse("members:directory"), params)

    assert response.status_code == 200
    assert response.context["page"].object_list
    print(f"directory volume={volume} params={params}: {len(queries.captured_queries)} queries")
