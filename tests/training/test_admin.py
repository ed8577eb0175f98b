import csv
import io

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils.html import escape

from members.models import Member
from members.privacy import erase_user, export_user, unclassified_fields
from network_portal.ics import feed_events
from network_portal.models import OutboxEmail
from tests.factories import MemberFactory, UserFactory
from training import services
from training.models import Booking, Feedback, Session

from .factories import BookingFactory, FeedbackFactory, FollowUpFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_session_changelist_shows_seats_confirmed_and_waiting(client, staff):
    session = SessionFactory(capacity=2)
    for _ in range(3):
        services.booking_create(member=MemberFactory(), session=session)
    response = client.get(reverse("admin:training_session_changelist"))
    row = response.context["cl"].result_list.get(pk=session.pk)
    assert (row.confirmed_count, row.waitlist_count, row.seats_left) == (2, 1, 0)
    assert "Evidence dashboard" in response.content.decode()


def test_session_change_page_has_the_bookings_inline_without_an_add_button(client, staff):
    booking = BookingFactory()
    response = client.get(reverse("admin:training_session_change", args=[booking.session_id]))
    content = response.content.decode()
    assert escape(str(booking.member)) in content
    assert "Book a member" in content
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.has_add_permission is False


def test_raising_capacity_in_admin_promotes_the_waiting_list(client, staff, django_capture_on_commit_callbacks):
    session = SessionFactory(capacity=1)
    services.booking_create(member=MemberFactory(), session=session)
    waiting = services.booking_create(member=MemberFactory(), session=session)
    url = reverse("admin:training_session_change", args=[session.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "capacity": "2",
            "starts_at_0": f"{session.starts_at.astimezone():%Y-%m-%d}",
            "starts_at_1": f"{session.starts_at.astimezone():%H:%M:%S}",
            "ends_at_0": f"{session.ends_at.astimezone():%Y-%m-%d}",
            "ends_at_1": f"{session.ends_at.astimezone():%H:%M:%S}",
            "booking_deadline_0": "",
            "booking_deadline_1": "",
            "bookings-TOTAL_FORMS": "2",
            "bookings-INITIAL_FORMS": "2",
            "bookings-0-id": str(session.bookings.order_by("pk")[0].pk),
            "bookings-0-session": str(session.pk),
            "bookings-1-id": str(waiting.pk),
            "bookings-1-session": str(session.pk),
        }
    )
    data.pop("starts_at", None)
    data.pop("ends_at", None)
    data.pop("booking_deadline", None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain, response.context["adminform"].form.errors
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED
    assert OutboxEmail.objects.filter(kind="training-promoted", to_email=waiting.member.user.email).exists()


def test_staff_book_a_member_through_the_same_rules(client, staff):
    session = SessionFactory(capacity=1)
    member = MemberFactory()
    url = reverse("admin:training_session_book", args=[session.pk])
    response = client.post(url, {"email": member.user.email.upper()})
    assert response.status_code == 302
    booking = Booking.objects.get(member=member)
    assert (booking.status, booking.booked_by) == (Booking.Status.CONFIRMED, staff)
    again = client.post(url, {"email": member.user.email})
    assert "already booked" in again.content.decode()
    pending = MemberFactory(status=Member.Status.PENDING)
    refused = client.post(url, {"email": pending.user.email})
    assert "Only approved network members" in refused.content.decode()
    unknown = client.post(url, {"email": "nobody@example.org"})
    assert "No member has this email address." in unknown.content.decode()
    assert Booking.objects.count() == 1


def test_bulk_mark_attended_and_no_show(client, staff):
    session = past_session()
    here, absent = BookingFactory(session=session), BookingFactory(session=session)
    url = reverse("admin:training_booking_changelist")
    client.post(url, {"action": "mark_attended", "_selected_action": [here.pk]})
    client.post(url, {"action": "mark_no_show", "_selected_action": [absent.pk]})
    here.refresh_from_db()
    absent.refresh_from_db()
    assert (here.attended, absent.attended) == (Booking.Attended.YES, Booking.Attended.NO)


def test_export_register_as_csv(client, staff):
    session = SessionFactory()
    booking = BookingFactory(session=session)
    BookingFactory(session=session, status=Booking.Status.CANCELLED, cancelled_at=session.created_at)
    response = client.post(
        reverse("admin:training_session_changelist"), {"action": "export_register", "_selected_action": [session.pk]}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["Email"] == booking.member.user.email
    assert rows[0]["Status"] == "Confirmed"


def test_feedback_admin_is_read_only(client, staff):
    feedback = FeedbackFactory()
    assert client.get(reverse("admin:training_feedback_changelist")).status_code == 200
    response = client.get(reverse("admin:training_feedback_change", args=[feedback.pk]))
    assert response.status_code == 200
    assert 'name="rating"' not in response.content.decode()
    assert client.get(reverse("admin:training_feedback_add")).status_code == 403


def test_admin_index_counts_sessions_with_attendance_to_mark(client, staff):
    BookingFactory(session=past_session())
    BookingFactory(session=past_session(), attended=Booking.Attended.YES)
    attention = {item["label"]: item["count"] for item in client.get(reverse("admin:index")).context["attention"]}
    assert attention["Training sessions with attendance to mark"] == 1


def test_every_training_field_is_classified_for_privacy():
    assert unclassified_fields(list(apps.get_app_config("training").get_models())) == []


def test_privacy_export_and_erasure_keep_counts_and_drop_own_words(django_capture_on_commit_callbacks):
    from django.db import transaction

    member = MemberFactory()
    feedback = FeedbackFactory(booking__member=member, testimonial="My own words", will_do_differently="Plans")
    FollowUpFactory(booking=feedback.booking, policy_description="A motion", evidence_url="https://example.org/x")
    upcoming = SessionFactory(capacity=1)
    services.booking_create(member=member, session=upcoming)
    waiting = services.booking_create(member=MemberFactory(), session=upcoming)

    data = export_user(member.user)
    assert data["training.Feedback"][0]["testimonial"] == "My own words"
    assert len(data["training.Booking"]) == 2

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        erase_user(member.user)
    feedback.refresh_from_db()
    assert (feedback.testimonial, feedback.will_do_differently, feedback.rating) == ("", "", "excellent")
    assert feedback.booking.follow_ups.get().policy_description == ""
    assert Feedback.objects.headline().n == 1
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED  # the erased member's seat went to the next person


def test_booked_sessions_appear_in_the_personal_calendar_feed():
    member = MemberFactory()
    session = SessionFactory(mode=Session.Mode.ONLINE, venue="", joining_url="https://meet.example.org/room")
    services.booking_create(member=member, session=session)
    SessionFactory()  # not booked
    events = [e for e in feed_events(member.user) if "training-session" in e.uid]
    assert [e.uid.split("@")[0] for e in events] == [f"training-session-{session.pk}"]
    assert events[0].location == "https://meet.example.org/room"
