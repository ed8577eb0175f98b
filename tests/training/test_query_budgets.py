"""Each page runs a fixed number of queries, whatever the number of sessions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory
from training.models import Booking, Feedback, FollowUp, Session

from .factories import CourseFactory

pytestmark = pytest.mark.django_db

BUDGET = 12


@pytest.fixture(params=[10, 1000], ids=["10-sessions", "1000-sessions"])
def volume(request, london_councils):
    """n sessions across the councils, half finished with attendance, feedback and follow-ups."""
    n = request.param
    course = CourseFactory()
    councils = list(london_councils)
    members = [MemberFactory(council=councils[i % len(councils)]) for i in range(6)]
    now = timezone.now()
    sessions = Session.objects.bulk_create(
        Session(
            course=course,
            council=councils[i % len(councils)] if i % 4 else None,
            starts_at=now + timedelta(days=(i // 2 + 1) * (1 if i % 2 else -1)),
            ends_at=now + timedelta(days=(i // 2 + 1) * (1 if i % 2 else -1), hours=2),
            venue="Town Hall",
            capacity=4,
            status=Session.Status.PUBLISHED,
        )
        for i in range(n)
    )
    bookings = Booking.objects.bulk_create(
        Booking.of_member(
            session=session,
            member=member,
            status=Booking.Status.CONFIRMED if j < 4 else Booking.Status.WAITLISTED,
            attended=Booking.Attended.YES if session.starts_at < now and j < 3 else Booking.Attended.UNKNOWN,
        )
        for session in sessions
        for j, member in enumerate(members[:5])
    )
    attended = [b for b in bookings if b.attended == Booking.Attended.YES]
    Feedback.objects.bulk_create(
        Feedback(
            booking=b,
            rating=["excellent", "good", "average", "poor", "very_poor"][b.pk % 5],
            usefulness=3,
            confidence_residents_before=2,
            confidence_residents_after=4,
            confidence_self_before=3,
            confidence_self_after=4,
            testimonial="Useful" if b.pk % 7 == 0 else "",
            testimonial_consent="anonymous",
            testimonial_approved_at=timezone.now() if b.pk % 7 == 0 else None,
        )
        for b in attended
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            booking=b,
            wave="3m",
            raised_in_meeting=True,
            influenced_policy=True,
            policy_area="housing",
            became_champion=False,
            changed_own_wellbeing=True,
            would_recommend="yes",
        )
        for b in attended[::2]
    )
    upcoming = next(s for s in sessions if s.starts_at > now)
    return {"n": n, "member": members[4], "session": upcoming}


def test_training_index_stays_within_budget(client, volume, django_assert_max_num_queries):
    client.force_login(volume["member"].user)
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("training:index"), {"page": 2})
    assert response.status_code == 200


def test_filtered_index_stays_within_budget(client, volume, london_councils, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("training:index"), {"council": london_councils[1].slug})
    assert response.status_code == 200


def test_session_page_for_a_waiting_member_stays_within_budget(client, volume, django_assert_max_num_queries):
    client.force_login(volume["member"].user)
    with django_assert_max_num_queries(BUDGET):
        response = client.get(volume["session"].get_absolute_url())
    assert "on the waiting list" in response.content.decode()


def test_coverage_page_stays_within_budget(client, volume, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("training:coverage"))
    assert response.content.decode().count('class="coverage-tile') == 33


def test_dashboard_stays_within_budget(client, volume, django_assert_max_num_queries):
    client.force_login(UserFactory(is_staff=True))
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("training:dashboard"))
    assert response.status_code == 200
    (course,) = response.context["by_course"]
    assert course.responses == Feedback.objects.count()
    assert course.attended == Booking.objects.filter(attended=Booking.Attended.YES).count()
