import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from network_portal.models import OutboxEmail
from tests.factories import CouncilFactory, MemberFactory, UserFactory
from training import services
from training.models import Booking, Session

from .factories import BookingFactory, FeedbackFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_index_lists_upcoming_sessions_with_seats_left(client):
    session = SessionFactory(capacity=3)
    BookingFactory(session=session)
    SessionFactory(status=Session.Status.DRAFT, course=session.course)
    past_session(course=session.course)
    response = client.get(reverse("training:index"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "2 seats left" in content
    assert content.count('class="card mb-3"') == 1
    assert "Samaritans on 116 123" in content
    assert "There is no feedback on the training yet." in content


def test_index_filters_by_council_and_month(client):
    camden, hackney = CouncilFactory(name="Camden"), CouncilFactory(name="Hackney")
    now = timezone.localtime()
    next_month = (now.replace(day=1) + timedelta(days=32)).replace(day=10, hour=18)
    in_camden = SessionFactory(council=camden, starts_at=now + timedelta(days=2))
    later_in_camden = SessionFactory(council=camden, starts_at=next_month)
    SessionFactory(council=hackney, starts_at=next_month)

    response = client.get(reverse("training:index"), {"council": camden.slug})
    shown = set(re.findall(r"/training/sessions/(\d+)/", response.content.decode()))
    assert shown == {str(in_camden.pk), str(later_in_camden.pk)}

    response = client.get(reverse("training:index"), {"council": camden.slug, "month": f"{next_month:%Y-%m}"})
    shown = set(re.findall(r"/training/sessions/(\d+)/", response.content.decode()))
    assert shown == {str(later_in_camden.pk)}


def test_course_page_shows_outcomes_and_its_sessions(client):
    session = SessionFactory()
    response = client.get(session.course.get_absolute_url())
    content = response.content.decode()
    assert "Spot the signs" in content
    assert session.get_absolute_url() in content


def test_unknown_course_and_draft_session_are_not_found(client):
    assert client.get("/training/courses/no-such-course/").status_code == 404
    draft = SessionFactory(status=Session.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_session_page_invites_anonymous_visitors_to_log_in(client):
    session = SessionFactory()
    content = client.get(session.get_absolute_url()).content.decode()
    assert "Log in" in content
    assert "Book a place" not in content


def test_session_page_tells_a_pending_member_what_happens_next_instead_of_offering_a_booking(client):
    session = SessionFactory()
    pending = MemberFactory(status=Member.Status.PENDING)
    client.force_login(pending.user)
    content = client.get(session.get_absolute_url()).content.decode()
    assert "Book a place" not in content
    assert reverse("training:session-book", args=[session.pk]) not in content
    assert "Your membership is waiting for approval" in content


def test_member_books_from_the_session_page(client):
    member = MemberFactory()
    session = SessionFactory(capacity=1)
    client.force_login(member.user)
    response = client.post(reverse("training:session-book", args=[session.pk]), follow=True)
    assert "Your place is booked" in _messages(response)
    assert "You are booked on this session." in response.content.decode()
    assert Booking.objects.get().member == member


def test_full_session_page_offers_waiting_list_and_shows_position(client):
    session = SessionFactory(capacity=1)
    services.booking_create(member=MemberFactory(), session=session)
    member = MemberFactory()
    client.force_login(member.user)
    assert "Join the waiting list" in client.get(session.get_absolute_url()).content.decode()
    response = client.post(reverse("training:session-book", args=[session.pk]), follow=True)
    assert "waiting list" in _messages(response)
    assert "You are number 1 on the waiting list." in response.content.decode()


def test_booking_twice_from_the_page_shows_the_reason_and_adds_nothing(client):
    member = MemberFactory()
    session = SessionFactory()
    client.force_login(member.user)
    client.post(reverse("training:session-book", args=[session.pk]))
    response = client.post(reverse("training:session-book", args=[session.pk]), follow=True)
    assert "already booked" in _messages(response)
    assert Booking.objects.count() == 1


def test_pending_member_cannot_book(client):
    member = MemberFactory(status=Member.Status.PENDING)
    client.force_login(member.user)
    response = client.post(reverse("training:session-book", args=[SessionFactory().pk]))
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_booking_needs_a_post(client):
    member = MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("training:session-book", args=[SessionFactory().pk])).status_code == 405


def test_member_cancels_their_booking_and_the_next_person_is_promoted(client, django_capture_on_commit_callbacks):
    session = SessionFactory(capacity=1)
    member, waiting = MemberFactory(), MemberFactory()
    booking = services.booking_create(member=member, session=session)
    services.booking_create(member=waiting, session=session)
    client.force_login(member.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("training:booking-cancel", args=[booking.pk]), follow=True)
    assert "Your booking is cancelled." in _messages(response)
    assert Booking.objects.get(member=waiting).status == Booking.Status.CONFIRMED
    assert OutboxEmail.objects.filter(kind="training-promoted", to_email=waiting.user.email).exists()


def test_nobody_can_cancel_someone_elses_booking(client):
    booking = BookingFactory()
    client.force_login(MemberFactory().user)
    assert client.post(reverse("training:booking-cancel", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_joining_link_is_shown_only_to_booked_members(client):
    session = SessionFactory(mode=Session.Mode.ONLINE, venue="", joining_url="https://meet.example.org/secret-room")
    assert "secret-room" not in client.get(session.get_absolute_url()).content.decode()
    assert b"secret-room" not in client.get(reverse("training:session-ics", args=[session.pk])).content
    member = MemberFactory()
    client.force_login(member.user)
    assert "secret-room" not in client.get(session.get_absolute_url()).content.decode()
    services.booking_create(member=member, session=session)
    assert "secret-room" in client.get(session.get_absolute_url()).content.decode()
    assert b"secret-room" in client.get(reverse("training:session-ics", args=[session.pk])).content


def test_session_ics_is_a_calendar_with_a_stable_uid(client):
    import icalendar

    session = SessionFactory()
    response = client.get(reverse("training:session-ics", args=[session.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(f"training-session-{session.pk}@")
    assert event.decoded("DTSTART") == session.starts_at
    assert session.course.title in str(event["SUMMARY"])


def test_my_account_lists_my_training_with_next_steps(client):
    member = MemberFactory()
    upcoming = SessionFactory()
    services.booking_create(member=member, session=upcoming)
    attended = BookingFactory(member=member, session=past_session(), attended=Booking.Attended.YES)
    client.force_login(member.user)
    content = client.get(reverse("members:account")).content.decode()
    assert "My training" in content
    assert upcoming.get_absolute_url() in content
    assert reverse("training:feedback", args=[attended.pk]) in content


def test_home_page_shows_the_live_headline(client):
    FeedbackFactory(rating="excellent")
    FeedbackFactory(rating="poor")
    content = client.get("/").content.decode()
    assert "50%</strong> of 2 trainees who gave feedback rated it Excellent or Good" in content


def test_testimonials_appear_only_with_consent_and_staff_approval(client):
    approved = timezone.now()
    FeedbackFactory(testimonial="Shown anonymously", testimonial_consent="anonymous", testimonial_approved_at=approved)
    FeedbackFactory(testimonial="Never shown", testimonial_consent="no")
    FeedbackFactory(testimonial="Waiting for staff", testimonial_consent="named")
    FeedbackFactory(
        testimonial="Hidden by staff", testimonial_consent="anonymous", testimonial_approved_at=approved,
        testimonial_hidden=True,
    )  # fmt: skip
    named = FeedbackFactory(
        testimonial="Shown with name", testimonial_consent="named", testimonial_approved_at=approved
    )
    content = client.get(reverse("training:index")).content.decode()
    assert "Shown anonymously" in content
    assert "Shown with name" in content
    assert named.booking.member.user.get_full_name() in content
    assert "Never shown" not in content
    assert "Waiting for staff" not in content
    assert "Hidden by staff" not in content


def test_dashboard_is_for_staff_only(client):
    url = reverse("training:dashboard")
    assert client.get(url).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=True))
    FeedbackFactory()
    response = client.get(url)
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
