import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import CouncilFactory, MemberFactory, UserFactory
from training import reports
from training.models import Booking, Feedback, Session

from .factories import BookingFactory, FeedbackFactory, FollowUpFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db


# --- Headline -----------------------------------------------------------------


def test_headline_with_no_feedback_says_so(client):
    headline = Feedback.objects.headline()
    assert (headline.n, headline.percent) == (0, None)
    assert "There is no feedback on the training yet." in client.get(reverse("training:index")).content.decode()


def test_headline_on_a_hand_computed_fixture(client):
    # 3 Excellent + 4 Good = 7 positive of 10 responses: 70%.
    ratings = {"excellent": 3, "good": 4, "average": 1, "poor": 1, "very_poor": 1}
    for rating, count in ratings.items():
        for _ in range(count):
            FeedbackFactory(rating=rating)
    headline = Feedback.objects.headline()
    assert (headline.n, headline.positive, headline.percent) == (10, 7, 70)
    content = client.get(reverse("training:index")).content.decode()
    assert "<strong>70%</strong> of 10 trainees who gave feedback rated it Excellent or Good." in content


@pytest.mark.parametrize(
    ("positive", "others", "percent"),
    [(2, 1, 67), (1, 7, 13), (1, 0, 100), (0, 4, 0)],  # 66.7 -> 67; 12.5 rounds half up -> 13
)
def test_headline_rounds_half_up(positive, others, percent):
    for _ in range(positive):
        FeedbackFactory(rating="good")
    for _ in range(others):
        FeedbackFactory(rating="average")
    assert Feedback.objects.headline().percent == percent


def test_headline_counts_each_trainee_once_by_their_latest_rating(client):
    # Two people, three responses: one rated Excellent, then Poor on a later
    # session; the other rated Good. Latest ratings: Poor and Good, so 1 of 2.
    changed_mind = MemberFactory()
    earlier = FeedbackFactory(booking__member=changed_mind, rating="excellent")
    FeedbackFactory(booking__member=changed_mind, rating="poor", submitted_at=earlier.submitted_at + timedelta(days=30))
    FeedbackFactory(rating="good")
    headline = Feedback.objects.headline()
    assert (headline.n, headline.positive, headline.percent) == (2, 1, 50)
    content = client.get(reverse("training:index")).content.decode()
    assert "<strong>50%</strong> of 2 trainees who gave feedback rated it Excellent or Good." in content


def test_headline_is_refreshed_when_a_trainee_gives_later_feedback(client):
    from training import services

    first = FeedbackFactory(rating="excellent")
    assert "<strong>100%</strong> of 1 trainee who" in client.get("/").content.decode()
    later = BookingFactory(session=past_session(days_ago=2), member=first.booking.member, attended="yes")
    answers = {
        "rating": "poor", "usefulness": 2, "confidence_residents_before": 2, "confidence_residents_after": 2,
        "confidence_self_before": 2, "confidence_self_after": 2, "testimonial_consent": "no",
    }  # fmt: skip
    services.feedback_submit(booking=later, answers=answers)
    assert "<strong>0%</strong> of 1 trainee who" in client.get("/").content.decode()


# --- Coverage -----------------------------------------------------------------


def test_coverage_counts_councillors_trained_and_sessions_delivered_per_council(client, london_councils):
    camden = london_councils.get(name="Camden")
    camden.councillor_seats = 60
    camden.save()
    hackney = london_councils.get(name="Hackney")
    hackney.councillor_seats = None  # a count staff have not entered yet
    hackney.save()
    first, second = past_session(council=camden), past_session(council=camden, days_ago=30)
    SessionFactory(council=camden)  # future: not delivered yet
    past_session(council=camden, status=Session.Status.CANCELLED)  # cancelled: not delivered

    twice = MemberFactory(council=camden)
    for session in (first, second):
        BookingFactory(session=session, member=twice, attended=Booking.Attended.YES)
    for _ in range(2):
        BookingFactory(session=first, member=MemberFactory(council=camden), attended=Booking.Attended.YES)
    BookingFactory(
        session=first, member=MemberFactory(council=camden, role=Member.Role.OFFICER), attended=Booking.Attended.YES
    )
    BookingFactory(session=first, member=MemberFactory(council=camden), attended=Booking.Attended.NO)
    # A Hackney councillor trained at a Camden session counts for Hackney.
    BookingFactory(session=second, member=MemberFactory(council=hackney), attended=Booking.Attended.YES)

    rows = {row.council.name: row for row in reports.council_coverage()}
    assert len(rows) == 33
    assert (rows["Camden"].councillors_trained, rows["Camden"].sessions_delivered) == (3, 2)
    assert rows["Camden"].percent_of_seats == 5  # 3 of 60
    assert (rows["Hackney"].councillors_trained, rows["Hackney"].sessions_delivered) == (1, 0)
    assert rows["Hackney"].percent_of_seats is None
    assert rows["Barnet"].councillors_trained == 0

    content = client.get(reverse("training:coverage")).content.decode()
    assert content.count('class="coverage-tile') == 33
    assert f"tile-c{camden.grid_col} tile-r{camden.grid_row} band-1" in content
    assert "Camden: 3 councillors trained, 5% of seats" in content
    assert '<th scope="row">Camden</th>' in content

    response = client.get(reverse("training:coverage-csv"))
    assert response["Content-Type"].startswith("text/csv")
    table = {row["council"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert len(table) == 34  # 33 councils and London
    assert table["Camden"] == {
        "gss_code": camden.gss_code,
        "council": "Camden",
        "sessions_delivered": "2",
        "councillors_trained": "3",
        "councillor_seats": "60",
        "seats_since": camden.seats_since.isoformat(),
        "percent_of_seats": "5",
    }
    assert table["Hackney"]["percent_of_seats"] == ""


def test_london_coverage_counts_distinct_councillors_against_all_1917_seats(client, london_councils):
    camden, hackney = london_councils.get(name="Camden"), london_councils.get(name="Hackney")
    session = past_session(council=camden)
    # 40 councillors trained across two councils, one of them at two sessions;
    # an officer and a no-show do not count.
    people = [MemberFactory(council=camden) for _ in range(25)] + [MemberFactory(council=hackney) for _ in range(15)]
    for member in people:
        BookingFactory(session=session, member=member, attended=Booking.Attended.YES)
    BookingFactory(session=past_session(days_ago=30), member=people[0], attended=Booking.Attended.YES)
    BookingFactory(session=session, member=MemberFactory(council=camden, role=Member.Role.OFFICER), attended="yes")
    BookingFactory(session=session, member=MemberFactory(council=camden), attended=Booking.Attended.NO)

    seats = sum(london_councils.values_list("councillor_seats", flat=True))
    london = reports.london_coverage()
    assert (london.councillors_trained, london.seats) == (40, seats)
    assert london.percent_of_seats == round(100 * 40 / seats)  # 2.09% -> 2, no half to round

    for url in ("/", reverse("training:coverage")):
        content = client.get(url).content.decode()
        expected = f"<strong>40</strong> of London's {seats:,} elected councillors (2%) have been trained so far."
        assert expected in content
    response = client.get(reverse("training:coverage-csv"))
    table = {row["council"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert (table["London"]["councillors_trained"], table["London"]["councillor_seats"]) == ("40", str(seats))
    assert table["Camden"]["percent_of_seats"] == str(round(100 * 25 / camden.councillor_seats))


def test_a_changed_seat_count_in_admin_shows_at_once(admin_client, london_councils):
    camden = london_councils.get(name="Camden")
    before = reports.london_coverage().seats
    data = {f.name: getattr(camden, f.name) for f in camden._meta.fields if f.name not in ("id", "seats_since")}
    data |= {"councillor_seats": camden.councillor_seats + 1, "seats_since": "2026-05-07"}
    data |= {"appointments-TOTAL_FORMS": 0, "appointments-INITIAL_FORMS": 0}
    response = admin_client.post(reverse("admin:members_council_change", args=[camden.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert reports.london_coverage().seats == before + 1


def test_council_coverage_panel_for_the_council_page(london_councils):
    from django.template.loader import render_to_string

    camden = london_councils.get(name="Camden")
    BookingFactory(session=past_session(council=camden), member=MemberFactory(council=camden), attended="yes")
    upcoming = SessionFactory(council=camden)
    html = render_to_string("training/_council_coverage.html", {"council": camden})
    assert "1 session delivered for Camden; 1 councillor trained" in html
    assert upcoming.get_absolute_url() in html


# --- Staff dashboard --------------------------------------------------------------


def test_dashboard_shows_distributions_turnout_outcomes_and_confidence(client):
    client.force_login(UserFactory(is_staff=True))
    council = CouncilFactory(name="Lambeth Test")
    session = past_session(council=council)
    for rating in ("excellent", "good", "poor"):
        _booking = BookingFactory(session=session, member=MemberFactory(council=council), attended="yes")
        FeedbackFactory(
            booking=_booking,
            rating=rating,
            confidence_residents_before=2,
            confidence_residents_after=4,
            confidence_self_before=3,
            confidence_self_after=3,
        )
    BookingFactory(session=session, member=MemberFactory(council=council), attended="no")
    FollowUpFactory(
        booking=Booking.objects.filter(attended="yes").first(), influenced_policy=True, policy_area="housing"
    )

    response = client.get(reverse("training:dashboard"))
    data = response.context
    (course_row,) = data["by_course"]
    assert (course_row.responses, course_row.attended, course_row.response_rate) == (3, 3, 100)
    assert course_row.positive_percent == 67
    (turnout,) = [t for t in data["turnout"] if t.council == "Lambeth Test"]
    assert (turnout.registered, turnout.attended, turnout.no_show) == (4, 3, 1)
    three_months = data["followups"][0]
    assert (three_months.responses, three_months.influenced_policy, three_months.by_area["housing"]) == (1, 1, 1)
    residents, own = data["confidence"]
    assert (residents.n, residents.change, own.change) == (3, 2.0, 0.0)
    content = response.content.decode()
    assert content.count("<svg") == 5
    assert "Ratings by course" in content


def test_council_training_section_costs_three_queries(london_councils, django_assert_max_num_queries):
    # Two for the coverage panel, one for the commitments register beside it;
    # the timeline reuses the panel's sessions.
    from django.template.loader import render_to_string

    camden = london_councils.get(name="Camden")
    for days in (10, 20, 30):
        BookingFactory(session=past_session(council=camden, days_ago=days), member=MemberFactory(council=camden),
                       attended="yes")  # fmt: skip
    SessionFactory(council=camden)
    past_session(council=camden, status=Session.Status.CANCELLED)
    with django_assert_max_num_queries(3):
        html = render_to_string("training/_council_coverage.html", {"council": camden})
    assert "3 sessions delivered for Camden; 3 councillors trained" in html
    assert html.count("training delivered (") == 3
