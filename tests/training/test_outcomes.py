"""Outcome figures with their uncertainty, for funders."""

import csv
import io
import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CouncilFactory, MemberFactory, UserFactory
from training import outcomes
from training.models import Commitment

from .factories import BookingFactory, CourseFactory, FeedbackFactory, FollowUpFactory, past_session

pytestmark = pytest.mark.django_db

# Published two-sided 95% critical values of Student's t (any statistical table).
T_TABLE = {1: 12.706, 2: 4.303, 4: 2.776, 9: 2.262, 29: 2.045, 60: 2.000}

# A fixed data set: ten trainees' confidence supporting residents, before and after.
RESIDENTS = [(2, 4), (1, 3), (3, 4), (2, 2), (3, 5), (2, 3), (1, 4), (4, 4), (2, 5), (3, 4)]


@pytest.mark.parametrize(("df", "expected"), sorted(T_TABLE.items()))
def test_t_critical_values_match_a_published_table(df, expected):
    assert outcomes.t_two_sided_critical(df) == pytest.approx(expected, abs=0.0006)


def test_paired_interval_matches_a_hand_computation_on_a_fixed_data_set():
    # Differences 2,2,1,0,2,1,3,0,3,1: mean 1.5, sum of squared deviations 10.5,
    # sd = sqrt(10.5 / 9) = 1.0801; half-width = 2.262 * 1.0801 / sqrt(10) = 0.7726.
    change = outcomes.paired_change("residents", RESIDENTS)
    half_width = 2.262157 * math.sqrt(10.5 / 9) / math.sqrt(10)
    assert change.n == 10
    assert change.mean == pytest.approx(1.5)
    assert change.low == pytest.approx(1.5 - half_width, abs=1e-5)
    assert change.high == pytest.approx(1.5 + half_width, abs=1e-5)
    assert (round(change.low, 2), round(change.high, 2)) == (0.73, 2.27)


def test_no_figure_is_given_for_fewer_than_five_people():
    change = outcomes.paired_change("residents", RESIDENTS[:4])
    assert (change.n, change.mean, change.low, change.high) == (4, None, None, None)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def _trained(course, pairs, *, days_ago=30):
    session = past_session(course=course, days_ago=days_ago)
    bookings = []
    for before, after in pairs:
        booking = BookingFactory(session=session, member=MemberFactory(), attended="yes")
        FeedbackFactory(booking=booking, confidence_residents_before=before, confidence_residents_after=after)
        bookings.append(booking)
    return bookings


def test_outcomes_page_shows_the_interval_over_the_chosen_course_and_period(staff_client):
    course, other = CourseFactory(), CourseFactory()
    _trained(course, RESIDENTS)
    _trained(other, [(5, 1)] * 6)  # another course: left out
    _trained(course, [(5, 1)] * 6, days_ago=500)  # before the period: left out
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    query = {"start": start, "end": timezone.localdate().isoformat(), "course": course.pk}
    content = staff_client.get(reverse("training:outcomes"), query).content.decode()
    assert '<td class="text-end">10</td>' in content
    assert "1.50" in content and "0.73 to 2.27" in content

    response = staff_client.get(reverse("training:outcomes-csv", args=["confidence"]), query)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0] == {
        "measure": "Supporting residents' mental health",
        "n": "10",
        "mean_change": "1.5",
        "ci95_low": "0.73",
        "ci95_high": "2.27",
    }


def test_policy_influence_at_three_and_six_months_with_n_and_response_rate(staff_client):
    course = CourseFactory()
    bookings = _trained(course, [(2, 4)] * 8, days_ago=200)  # both follow-ups are due
    for index, booking in enumerate(bookings[:6]):
        FollowUpFactory(
            booking=booking, wave="3m", influenced_policy=index < 3, policy_area="housing" if index < 3 else ""
        )
    for booking in bookings[:2]:
        FollowUpFactory(booking=booking, wave="6m", influenced_policy=True, policy_area="housing")
    start = (timezone.localdate() - timedelta(days=365)).isoformat()
    figures = outcomes.outcomes_for(start=timezone.localdate() - timedelta(days=365), end=timezone.localdate())
    three, six = figures.influence
    assert (three.eligible, three.responses, three.influenced, three.percent, three.response_rate) == (8, 6, 3, 50, 75)
    assert (six.eligible, six.responses, six.shown, six.percent) == (8, 2, False, None)  # 2 answers: hidden
    content = staff_client.get(reverse("training:outcomes"), {"start": start}).content.decode()
    assert "50% (3)" in content and "75%" in content
    assert "Not shown (fewer than 5 answers)" in content
    rows = list(
        csv.DictReader(
            io.StringIO(
                staff_client.get(
                    reverse("training:outcomes-csv", args=["policy-influence"]), {"start": start}
                ).content.decode()
            )
        )
    )
    assert [(r["follow_up"], r["responses"], r["influenced_percent"]) for r in rows] == [
        ("3 months", "6", "50"),
        ("6 months", "2", ""),
    ]


def test_verified_council_changes_in_the_period_are_listed_and_download(staff_client):
    council = CouncilFactory(name="Testborough")
    today = timezone.localdate()
    verified = dict(status="verified", verified_at=timezone.now(), evidence_url="https://example.org/paper")
    Commitment.objects.create(council=council, kind="concordat", summary="=Signed the Concordat", happened_on=today,
                              **verified)  # fmt: skip
    Commitment.objects.create(council=council, kind="motion", summary="Old motion", happened_on=today.replace(
        year=today.year - 3), **verified)  # fmt: skip
    Commitment.objects.create(council=council, kind="strategy", summary="Unchecked", happened_on=today,
                              evidence_url="https://example.org/s")  # fmt: skip
    content = staff_client.get(reverse("training:outcomes")).content.decode()
    assert "Signed the Concordat" in content
    assert "Old motion" not in content and "Unchecked" not in content
    body = staff_client.get(reverse("training:outcomes-csv", args=["council-changes"])).content.decode()
    assert "'=Signed the Concordat" in body  # through the shared writer, formula defused


def test_outcomes_are_for_staff_and_a_bad_period_is_refused_with_a_message(client):
    url = reverse("training:outcomes")
    assert client.get(url).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=True))
    response = client.get(url, {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end of the period must be on or after its start." in response.content.decode()
    assert client.get(reverse("training:outcomes-csv", args=["nonsense"])).status_code == 404


def test_the_outcomes_page_has_a_print_stylesheet(staff_client):
    content = staff_client.get(reverse("training:outcomes")).content.decode()
    assert "css/outcomes-print.css" in content
