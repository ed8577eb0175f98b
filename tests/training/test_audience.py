"""A course's audience is enforced: members outside it are refused with the
audience named and courses that fit suggested; staff may book them anyway,
with a reason that is recorded."""

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import MemberFactory, UserFactory
from training import services
from training.models import Booking, Course

from .factories import CourseFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def councillors_session():
    return SessionFactory(
        course=CourseFactory(title="Councillors' Mental Health", audience=Course.Audience.COUNCILLORS)
    )


def test_an_officer_is_refused_a_councillors_course_with_the_audience_named_and_fitting_courses_suggested(
    councillors_session,
):
    for_officers = SessionFactory(course=CourseFactory(title="Officers' Wellbeing", audience=Course.Audience.OFFICERS))
    SessionFactory(course=CourseFactory(title="Everyone's Briefing", audience=Course.Audience.BOTH))
    officer = MemberFactory(role=Member.Role.OFFICER, ward="", job_title="Public health lead")

    with pytest.raises(services.BookingRefused) as refusal:
        services.booking_create(member=officer, session=councillors_session)

    assert refusal.value.code == "audience"
    message = refusal.value.message
    assert "for councillors only" in message
    assert "you are a council officer" in message
    assert f"Courses open to you: Everyone's Briefing, {for_officers.course.title}." in message
    assert not Booking.objects.filter(member=officer).exists()


def test_a_councillor_books_a_councillors_course(councillors_session):
    booking = services.booking_create(member=MemberFactory(role=Member.Role.COUNCILLOR), session=councillors_session)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.audience_override_reason == ""


def test_the_refusal_reaches_the_member_on_the_session_page(client, councillors_session):
    officer = MemberFactory(role=Member.Role.OFFICER, ward="", job_title="Policy officer")
    client.force_login(officer.user)
    response = client.post(reverse("training:session-book", kwargs={"pk": councillors_session.pk}), follow=True)
    assert "for councillors only" in response.content.decode()
    assert not Booking.objects.filter(member=officer).exists()


def test_staff_override_needs_a_reason_and_records_it(client, councillors_session, django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    officer = MemberFactory(role=Member.Role.OFFICER, ward="", job_title="Policy officer")
    url = reverse("admin:training_session_book", args=[councillors_session.pk])

    response = client.post(url, {"email": officer.user.email, "audience_override_reason": ""})
    assert response.status_code == 200
    assert "give a reason" in response.content.decode()
    assert not Booking.objects.filter(member=officer).exists()

    with django_capture_on_commit_callbacks():
        response = client.post(
            url,
            {"email": officer.user.email, "audience_override_reason": "Leads the council's suicide prevention plan."},
        )
    assert response.status_code == 302
    booking = Booking.objects.get(member=officer)
    assert booking.booked_by == staff
    assert booking.audience_override_reason == "Leads the council's suicide prevention plan."


def test_a_member_cannot_override_the_audience_by_giving_a_reason(councillors_session):
    officer = MemberFactory(role=Member.Role.OFFICER, ward="", job_title="Policy officer")
    with pytest.raises(services.BookingRefused):
        services.booking_create(member=officer, session=councillors_session, audience_override_reason="I want to come")
