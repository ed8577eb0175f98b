from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from resources.models import Organisation, Resource, Topic, Visibility
from tests.factories import MemberFactory

from .factories import OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("resources:list")


def titles(response) -> list[str]:
    return [r.title for r in response.context["page"].object_list]


def test_title_match_ranks_above_body_match(client):
    in_body = ResourceFactory(title="Council planning guide", body="How good housing supports mental health.")
    in_title = ResourceFactory(title="Housing and mental health", body="A briefing for councillors.")
    in_summary = ResourceFactory(title="Ward walkabouts", summary="Spotting housing problems early.")
    ResourceFactory(title="Leisure centres", body="Swimming and mental health.")

    response = client.get(LIST_URL, {"q": "housing"})

    assert titles(response) == [in_title.title, in_summary.title, in_body.title]


def test_newest_sort_ignores_rank(client):
    older = ResourceFactory(title="Housing toolkit", published_at=timezone.now() - timedelta(days=30))
    newer = ResourceFactory(title="Planning guide", body="Housing matters.")

    response = client.get(LIST_URL, {"q": "housing", "sort": "newest"})

    assert titles(response) == [newer.title, older.title]


def test_search_matches_word_forms(client):
    match = ResourceFactory(title="Preventing suicide in the community")
    ResourceFactory(title="Employment support")

    assert titles(client.get(LIST_URL, {"q": "suicide prevention"})) == [match.title]


@pytest.mark.parametrize(
    "query",
    [
        "x" * 1000,
        "housing " * 150,
        "'); DROP TABLE resources_resource; --",
        '"unclosed quote',
        "a & | ! ( ) : * <-> \\",
        "-",
        "the",
        "%_%",
        "\u202e\u0000bidi",
        "émoji 🙂 ümlaut",
    ],
)
def test_odd_or_huge_queries_never_fail(client, query):
    ResourceFactory(title="Housing and mental health")

    response = client.get(LIST_URL, {"q": query})

    assert response.status_code == 200


def test_nul_in_query_shows_a_message_not_an_error(client):
    response = client.get(LIST_URL, {"q": "hou\x00sing"})

    assert response.status_code == 200
    assert "could not be used" in response.content.decode()


def test_filters_by_topic_kind_source_and_visibility(client):
    housing, employment = Topic.objects.get(slug="housing"), Topic.objects.get(slug="employment")
    thrive = OrganisationFactory(name="Thrive LDN", slug="thrive-ldn")
    target = ResourceFactory(
        title="Target", topics=[housing], kind=Resource.Kind.BRIEFING, source=thrive, visibility=Visibility.PUBLIC
    )
    ResourceFactory(title="Wrong topic", topics=[employment], kind=Resource.Kind.BRIEFING, source=thrive)
    ResourceFactory(title="Wrong kind", topics=[housing], kind=Resource.Kind.TOOLKIT, source=thrive)
    ResourceFactory(title="Wrong source", topics=[housing], kind=Resource.Kind.BRIEFING)
    ResourceFactory(
        title="Members only", topics=[housing], kind=Resource.Kind.BRIEFING, source=thrive, visibility="members"
    )

    response = client.get(
        LIST_URL, {"topic": "housing", "kind": "briefing", "source": "thrive-ldn", "visibility": "public"}
    )

    assert titles(response) == [target.title]
    assert titles(client.get(LIST_URL, {"topic": "housing"})) == [
        "Members only",
        "Wrong source",
        "Wrong kind",
        "Target",
    ]


def test_unknown_filter_value_shows_a_message(client):
    ResourceFactory()

    response = client.get(LIST_URL, {"topic": "no-such-topic"})

    assert response.status_code == 200
    assert "could not be used" in response.content.decode()
    assert titles(response) == []


def test_drafts_and_future_resources_are_hidden_from_members_but_shown_to_staff(client, admin_user):
    ResourceFactory(title="Published")
    ResourceFactory(title="Draft", status=Resource.Status.DRAFT, published_at=None)
    ResourceFactory(title="Scheduled", published_at=timezone.now() + timedelta(days=2))
    client.force_login(MemberFactory().user)

    assert titles(client.get(LIST_URL)) == ["Published"]
    client.force_login(admin_user)
    assert set(titles(client.get(LIST_URL))) == {"Published", "Draft", "Scheduled"}


def test_each_result_says_whether_it_needs_membership(client):
    ResourceFactory(title="Open briefing", visibility=Visibility.PUBLIC)
    ResourceFactory(title="Closed briefing", visibility=Visibility.MEMBERS)

    page = client.get(LIST_URL).content.decode()

    cards = page[page.index('id="results-heading"') :].split('<li class="card')[1:]
    assert len(cards) == 2
    for card in cards:
        assert ("Members only" in card) == ("Closed briefing" in card)
        assert ("Public" in card) == ("Open briefing" in card)


def test_pagination_keeps_the_filters(client):
    for _ in range(25):
        ResourceFactory(title="Housing briefing")

    response = client.get(LIST_URL, {"q": "housing", "page": 2})

    assert len(response.context["page"].object_list) == 5
    assert "q=housing&amp;page=1" in response.content.decode()


def test_detail_page_shows_login_prompt_to_anonymous_for_members_only(client):
    resource = ResourceFactory(with_file=True, title="Workbook", body="**Bold** <script>alert(1)</script>")

    page = client.get(resource.get_absolute_url()).content.decode()

    assert "Log in to download" in page
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)" not in page


def _bulk_resources(count: int) -> None:
    source = Organisation.objects.create(name="Bulk source", slug="bulk-source")
    topics = list(Topic.objects.all())
    now = timezone.now()
    resources = Resource.objects.bulk_create(
        Resource(
            title=f"Housing resource {n}" if n % 3 == 0 else f"Employment resource {n}",
            slug=f"bulk-{n}",
            summary="A summary about mental health in councils.",
            body="Body text about housing and employment support." * 5,
            kind=Resource.Kind.BRIEFING,
            source=source,
            url="https://example.org/",
            visibility=Visibility.MEMBERS if n % 2 else Visibility.PUBLIC,
            status=Resource.Status.PUBLISHED,
            published_at=now - timedelta(minutes=n),
        )
        for n in range(count)
    )
    through = Resource.topics.through
    through.objects.bulk_create(
        through(resource_id=r.pk, topic_id=topics[i % len(topics)].pk) for i, r in enumerate(resources)
    )


@pytest.mark.parametrize("count", [20, 2000])
@pytest.mark.parametrize(
    "params", [{}, {"q": "housing"}, {"q": "housing", "topic": "housing", "kind": "briefing", "sort": "newest"}]
)
def test_library_and_search_stay_within_ten_queries(client, django_assert_max_num_queries, count, params):
    _bulk_resources(count)
    client.force_login(MemberFactory().user)

    with django_assert_max_num_queries(10):
        response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert response.context["page"].paginator.count > 0
