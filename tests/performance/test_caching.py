"""The headline, the coverage map and the home page's lists come from the cache,
and the services that change them make the change show at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Meeting
from members.models import Member
from resources import services as resource_services
from resources.models import Organisation, Update
from training import services as training_services
from training.models import Booking, Feedback, Session

pytestmark = pytest.mark.django_db

ANSWERS = {
    "rating": "poor",
    "usefulness": 2,
    "confidence_residents_before": 2,
    "confidence_residents_after": 3,
    "confidence_self_before": 2,
    "confidence_self_after": 3,
}


def test_anonymous_home_is_served_from_the_cache_without_queries(small_network, client, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        client.get("/")


def test_new_feedback_changes_the_cached_headline_at_once(small_network, client, django_capture_on_commit_callbacks):
    before = client.get("/").context["headline"]
    # Someone giving feedback for the first time: one more trainee in the headline.
    gave_feedback = Feedback.objects.values("booking__member")
    booking = (
        Booking.objects.filter(attended=Booking.Attended.YES, feedback__isnull=True)
        .exclude(member__in=gave_feedback)
        .first()
    )
    with django_capture_on_commit_callbacks(execute=True):
        training_services.feedback_submit(booking=booking, answers=ANSWERS)

    after = client.get("/").context["headline"]
    assert (after.n, after.positive) == (before.n + 1, before.positive)
    # The headline counts people (each by their latest rating), not responses.
    assert after.n == len(set(Feedback.objects.values_list("booking__member", flat=True)))


def test_marking_attendance_changes_the_cached_coverage_map_at_once(
    small_network, client, django_capture_on_commit_callbacks
):
    trained_ids = Booking.objects.attended().values("member")
    member = Member.objects.filter(role=Member.Role.COUNCILLOR, status="approved").exclude(pk__in=trained_ids).first()
    session = Session.objects.filter(ends_at__lt=timezone.now()).first()
    booking = Booking.objects.create(
        session=session, member=member, council=member.council, role=member.role, status=Booking.Status.CONFIRMED
    )
    before = _trained(client, member.council)

    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_mark_attendance(booking_ids=[booking.pk], attended=Booking.Attended.YES)

    assert _trained(client, member.council) == before + 1


def test_publishing_a_sooner_meeting_changes_the_home_page_at_once(
    small_network, client, django_capture_on_commit_callbacks
):
    soon = timezone.now() + timedelta(hours=3)
    meeting = Meeting.objects.create(
        title="Sooner meeting",
        slug="sooner-meeting",
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        format=Meeting.Format.ONLINE,
        joining_url="https://meet.example.org/soon",
        chair="Chair",
    )
    assert client.get("/").context["meeting"] != meeting

    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_publish(meeting_id=meeting.pk)

    assert client.get("/").context["meeting"] == meeting


def test_approving_and_withdrawing_an_update_changes_the_home_page_at_once(
    small_network, client, admin_user, django_capture_on_commit_callbacks
):
    update = Update.objects.create(
        title="Fresh partner news",
        slug="fresh-partner-news",
        body="News.",
        organisation=Organisation.objects.first(),
        visibility=Update.Visibility.PUBLIC,
    )
    assert update not in client.get("/").context["latest_updates"]

    with django_capture_on_commit_callbacks(execute=True):
        resource_services.update_approve(update_ids=[update.pk], staff_user=admin_user)
    assert client.get("/").context["latest_updates"][0] == update

    with django_capture_on_commit_callbacks(execute=True):
        resource_services.update_withdraw(update_ids=[update.pk])
    assert update not in client.get("/").context["latest_updates"]


def test_a_stale_rebuild_during_the_transaction_is_dropped_on_commit(
    small_network, client, django_capture_on_commit_callbacks
):
    """A request that rebuilds the figure before the write commits must not leave it stale."""
    booking = Booking.objects.filter(attended=Booking.Attended.YES, feedback__isnull=True).first()
    before = client.get("/").context["headline"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        training_services.feedback_submit(booking=booking, answers=ANSWERS)
    # Someone else's request caches the figure before our commit is visible to them.
    from django.core.cache import cache

    from network_portal import caching

    cache.set(caching.HEADLINE, before)
    for callback in callbacks:
        callback()
    assert client.get("/").context["headline"].n == before.n + 1


def _trained(client, council) -> int:
    rows = client.get("/training/coverage/").context["rows"]
    return next(row.councillors_trained for row in rows if row.council == council)
