"""Every page a visitor, member or staff user opens runs the same number of
queries with ten times the data, and at most 12 (fewer for the pages in BUDGETS).

Each page is measured cold (the figures cache cleared) after one warm-up request,
so the session and content-type caches are in the state a real visitor meets."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.pages import page_urls
from meetings.models import Registration
from members.models import Council
from resources.models import CaseStudy, Download, Update
from training.models import Booking, Feedback

from .conftest import LARGE, seed

BUDGET = 12
# Pages held to less. /account/: session, user, member with council and interests, then one
# query for each app's "My ..." section, however long the member's history. (A member with no
# meeting registration at all needs one more: nothing is left to carry their calendar feed.)
BUDGETS = {"account": 6}


def _measure(client, path) -> tuple[int, int]:
    client.get(path)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, len(queries)


def _grow_member_history(member, seeder) -> None:
    """Give the measured member a history in this batch too, so "my" lists grow with the volume:
    attended and waiting-list bookings, registrations (some waiting for a seat), downloads, case
    studies and partner updates."""
    booked = set(Booking.objects.filter(member=member).values_list("session_id", flat=True))
    bookings = Booking.objects.bulk_create(
        Booking.of_member(
            session=session,
            member=member,
            status=Booking.Status.CONFIRMED if session.ends_at < seeder.now else Booking.Status.WAITLISTED,
            attended=Booking.Attended.YES if session.ends_at < seeder.now else Booking.Attended.UNKNOWN,
        )
        for session in seeder.sessions
        if session.pk not in booked
    )
    Feedback.objects.bulk_create(
        Feedback(
            booking=booking,
            rating="good",
            usefulness=3,
            confidence_residents_before=2,
            confidence_residents_after=4,
            confidence_self_before=2,
            confidence_self_after=4,
        )
        for booking in bookings[::2]
        if booking.attended == Booking.Attended.YES
    )
    registered = set(Registration.objects.filter(user=member.user).values_list("meeting_id", flat=True))
    Registration.objects.bulk_create(
        Registration(
            meeting=meeting,
            user=member.user,
            mode=Registration.Mode.IN_PERSON if n % 3 == 0 else Registration.Mode.ONLINE,
            status=Registration.Status.WAITLISTED if n % 3 == 0 else Registration.Status.REGISTERED,
        )
        for n, meeting in enumerate(m for m in seeder.meetings if m.pk not in registered)
    )
    Download.objects.bulk_create(Download(resource=resource, user=member.user) for resource in seeder.resources)
    _give_member_submissions(member, seeder)


def _give_member_submissions(member, seeder) -> None:
    """As many case studies (waiting, returned, published) and partner updates as the batch has resources."""
    council = member.council or Council.objects.order_by("pk").first()
    statuses = [CaseStudy.Status.SUBMITTED, CaseStudy.Status.RETURNED, CaseStudy.Status.PUBLISHED]
    CaseStudy.objects.bulk_create(
        CaseStudy(
            title=f"Scale case study {seeder.prefix}{n}",
            council=council,
            what_we_did="What we did.",
            outcome="The outcome.",
            submitter=member.user,
            status=statuses[n % 3],
            review_note="Add the figures." if statuses[n % 3] == CaseStudy.Status.RETURNED else "",
            resource=resource if statuses[n % 3] == CaseStudy.Status.PUBLISHED else None,
        )
        for n, resource in enumerate(seeder.resources)
    )
    Update.objects.bulk_create(
        Update(
            title=f"Scale member update {seeder.prefix}{n}",
            slug=f"{seeder.prefix}scale-member-update-{n}",
            body="News.",
            organisation=seeder.organisations[0],
            author=member.user,
            status=Update.Status.PUBLISHED if n % 2 else Update.Status.SUBMITTED,
            published_at=seeder.now if n % 2 else None,
        )
        for n in range(len(seeder.resources))
    )


PAGE_NAMES = [
    "home",
    "home-member",
    "training",
    "course",
    "session",
    "session-member",
    "coverage",
    "meetings",
    "meeting",
    "meeting-member",
    "resources",
    "resource-search",
    "resource-search-member",
    "resource",
    "updates",
    "update",
    "councils",
    "council",
    "champions",
    "account",
    "directory",
    "directory-search",
    "dashboard",
    "research",
    "meeting-feedback",
    "admin-index",
    "admin-members",
    "admin-members-search",
    "admin-bookings",
    "admin-resources",
    "admin-outbox",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_runs_the_same_queries_at_ten_times_the_volume(name, small_network, clients, django_assert_num_queries):
    _grow_member_history(clients["the_member"], small_network)
    who, path = page_urls()[name]
    status, small = _measure(clients[who], path)
    assert status == 200
    assert small <= BUDGETS.get(name, BUDGET)

    large_seeder = seed(LARGE, prefix="l")
    _grow_member_history(clients["the_member"], large_seeder)
    # The same page with ten times the rows around it. The member's own state on it
    # (waiting for a place, say) stays as it was, so it cannot change the count.
    clients[who].get(path)
    cache.clear()
    with django_assert_num_queries(small):
        response = clients[who].get(path)
    assert response.status_code == 200


def test_the_measured_account_page_lists_every_kind_of_history(small_network, clients):
    _grow_member_history(clients["the_member"], small_network)
    _grow_member_history(clients["the_member"], seed(LARGE, prefix="l"))
    page = clients["member"].get("/account/").text
    for shown in ("on the waiting list", "Taken part", "in-person waiting list", "Registered to attend"):
        assert shown in page
    for shown in ("My downloads", "Case study:", "Returned with a note", "Partner update:"):
        assert shown in page


def test_every_page_in_the_catalogue_has_a_budget_test(small_network):
    assert sorted(page_urls()) == sorted(PAGE_NAMES)
