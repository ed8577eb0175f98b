"""Every page a visitor, member or staff user opens runs the same number of
queries with ten times the data, and at most 12.

Each page is measured cold (the figures cache cleared) after one warm-up request,
so the session and content-type caches are in the state a real visitor meets."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.pages import page_urls
from meetings.models import Registration
from resources.models import Download
from training.models import Booking, Feedback

from .conftest import LARGE, seed

BUDGET = 12


def _measure(client, path) -> tuple[int, int]:
    client.get(path)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, len(queries)


def _grow_member_history(member, seeder) -> None:
    """Give the measured member ten times the history too, so "my" lists grow."""
    bookings = Booking.objects.bulk_create(
        Booking.of_member(
            session=session,
            member=member,
            status=Booking.Status.CONFIRMED,
            attended=Booking.Attended.YES,
        )
        for session in seeder.sessions
        if session.ends_at < seeder.now
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
    )
    Registration.objects.bulk_create(
        Registration(meeting=meeting, user=member.user, mode=Registration.Mode.ONLINE) for meeting in seeder.meetings
    )
    Download.objects.bulk_create(Download(resource=resource, user=member.user) for resource in seeder.resources)


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
def test_page_runs_the_same_queries_at_ten_times_the_volume(name, clients, django_assert_num_queries):
    who, path = page_urls()[name]
    status, small = _measure(clients[who], path)
    assert status == 200
    assert small <= BUDGET

    large_seeder = seed(LARGE, prefix="l")
    _grow_member_history(clients["the_member"], large_seeder)
    who, path = page_urls()[name]
    clients[who].get(path)
    cache.clear()
    with django_assert_num_queries(small):
        response = clients[who].get(path)
    assert response.status_code == 200


def test_every_page_in_the_catalogue_has_a_budget_test(small_network):
    assert sorted(page_urls()) == sorted(PAGE_NAMES)
