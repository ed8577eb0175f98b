"""Staff move or cancel a training session or a meeting: one shared path
(network_portal.event_changes) tells every booked and waiting person once per
change, with a calendar file that replaces or removes the entry."""

import base64
from datetime import timedelta

import icalendar
import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.calendar import feed_calendar
from meetings.models import Registration
from network_portal.event_changes import ChangeRefused
from network_portal.models import OutboxEmail
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory
from training import services
from training.models import Booking, Session

from .factories import SessionFactory, past_session

pytestmark = pytest.mark.django_db

NOTICE_KINDS = ("training-session-changed", "training-session-cancelled")


def _calendar(row: OutboxEmail) -> icalendar.Calendar:
    (attachment,) = row.attachments
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))


def _full_session_with_waiting_list():
    session = SessionFactory(capacity=1, mode=Session.Mode.ONLINE, venue="", joining_url="https://meet.example.net/t1")
    booked = services.booking_create(member=MemberFactory(), session=session)
    waiting = services.booking_create(member=MemberFactory(), session=session)
    assert (booked.status, waiting.status) == (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)
    return session, booked, waiting


def _move(session, *, hours=24):
    session = Session.objects.get(pk=session.pk)
    session.starts_at += timedelta(hours=hours)
    session.ends_at += timedelta(hours=hours)
    services.session_save(session=session)
    return session


def test_session_moved_then_cancelled_sends_each_booked_and_waiting_member_exactly_two_emails(
    django_capture_on_commit_callbacks,
):
    session, booked, waiting = _full_session_with_waiting_list()
    with django_capture_on_commit_callbacks():
        moved = _move(session)
        sent = services.session_cancel(session_id=session.pk, reason="The trainer is ill; we will offer a new date.")
    assert sent == 2

    for booking in (booked, waiting):
        rows = list(
            OutboxEmail.objects.filter(user=booking.member.user, kind__in=NOTICE_KINDS).order_by("created_at", "pk")
        )
        assert [r.kind for r in rows] == list(NOTICE_KINDS)
        change, cancel = (_calendar(r) for r in rows)
        changed_event, cancelled_event = change.walk("VEVENT")[0], cancel.walk("VEVENT")[0]
        assert str(change["method"]) == "PUBLISH"
        assert changed_event.start == moved.starts_at
        assert str(cancel["method"]) == "CANCEL"
        assert str(cancelled_event["status"]) == "CANCELLED"
        assert cancelled_event["sequence"] > changed_event["sequence"] > 0
        assert "The trainer is ill" in rows[1].body_text
    # The joining link went only to the person with a seat, and only while it was on.
    assert "meet.example.net/t1" in OutboxEmail.objects.get(user=booked.member.user, kind=NOTICE_KINDS[0]).body_text
    assert (
        "meet.example.net/t1" not in OutboxEmail.objects.get(user=waiting.member.user, kind=NOTICE_KINDS[0]).body_text
    )
    for booking in (booked, waiting):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.ORGANISER_CANCELLED


def test_my_training_and_the_feed_show_the_organisers_cancellation_with_its_reason(client):
    session, booked, _ = _full_session_with_waiting_list()
    services.session_cancel(session_id=session.pk, reason="Venue flooded.")
    user = booked.member.user
    html = Template("{% load training %}{% my_training user %}").render(Context({"user": user}))
    assert "cancelled by the organiser" in html
    assert "Venue flooded." in html

    event = next(
        e
        for e in icalendar.Calendar.from_ical(feed_calendar(user)).walk("VEVENT")
        if str(e["uid"]).startswith(f"training-session-{session.pk}@")
    )
    assert str(event["status"]) == "CANCELLED"
    assert event["sequence"] == 1


def test_a_members_own_cancellation_is_not_shown_as_the_organisers():
    session, booked, _ = _full_session_with_waiting_list()
    services.booking_cancel(booking=booked)
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CANCELLED
    html = Template("{% load training %}{% my_training user %}").render(Context({"user": booked.member.user}))
    assert "cancelled by the organiser" not in html


def test_cancelling_a_cancelled_session_is_refused_and_emails_nobody():
    session, _, _ = _full_session_with_waiting_list()
    services.session_cancel(session_id=session.pk, reason="Trainer ill.")
    before = OutboxEmail.objects.count()
    with pytest.raises(ChangeRefused, match="already cancelled"):
        services.session_cancel(session_id=session.pk, reason="Again.")
    assert OutboxEmail.objects.count() == before


def test_moving_a_past_session_is_refused_and_emails_nobody():
    session = past_session(days_ago=3)
    Booking.objects.create(session=session, member=MemberFactory(), status=Booking.Status.CONFIRMED)
    before = OutboxEmail.objects.count()
    with pytest.raises(ChangeRefused, match="already taken place"):
        _move(session)
    session.refresh_from_db()
    assert session.sequence == 0
    assert OutboxEmail.objects.count() == before


def test_cancelling_a_past_session_is_refused():
    session = past_session(days_ago=3)
    with pytest.raises(ChangeRefused, match="already taken place"):
        services.session_cancel(session_id=session.pk, reason="Too late.")
    session.refresh_from_db()
    assert session.status == Session.Status.PUBLISHED


def test_admin_edit_of_a_past_session_shows_the_refusal_and_changes_nothing(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    session = past_session(days_ago=3)
    url = reverse("admin:training_session_change", args=[session.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    start = timezone.localtime(session.starts_at + timedelta(hours=1))
    end = timezone.localtime(session.ends_at + timedelta(hours=1))
    data.update(
        course=session.course_id,
        starts_at_0=f"{start:%Y-%m-%d}",
        starts_at_1=f"{start:%H:%M:%S}",
        ends_at_0=f"{end:%Y-%m-%d}",
        ends_at_1=f"{end:%H:%M:%S}",
        booking_deadline_0="",
        booking_deadline_1="",
        council="",
        **{"bookings-TOTAL_FORMS": 0, "bookings-INITIAL_FORMS": 0, "bookings-MIN_NUM_FORMS": 0},
        **{"bookings-MAX_NUM_FORMS": 1000},
    )
    data.pop("starts_at", None)
    data.pop("ends_at", None)
    data.pop("booking_deadline", None)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "already taken place" in response.content.decode()
    session.refresh_from_db()
    assert session.sequence == 0


def test_admin_cancel_action_needs_a_reason_and_then_tells_everyone(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    session, booked, waiting = _full_session_with_waiting_list()
    changelist = reverse("admin:training_session_changelist")
    action = {"action": "cancel_with_notices", "_selected_action": [session.pk], "confirm": "yes"}
    client.post(changelist, {**action, "reason": ""})
    session.refresh_from_db()
    assert session.status == Session.Status.PUBLISHED
    with django_capture_on_commit_callbacks():
        client.post(changelist, {**action, "reason": "Trainer ill."})
    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == (Session.Status.CANCELLED, "Trainer ill.")
    assert OutboxEmail.objects.filter(kind="training-session-cancelled").count() == 2


def test_meeting_moved_then_cancelled_sends_two_emails_each_and_marks_registrations_organiser_cancelled(client):
    meeting = MeetingFactory(in_person_capacity=1)
    seated = meeting_services.registration_create(meeting_id=meeting.pk, user=MemberFactory().user, mode="in_person")
    waiting = meeting_services.registration_create(
        meeting_id=meeting.pk, user=MemberFactory().user, mode="in_person", waitlist_ok=True
    )
    meeting.starts_at += timedelta(days=1)
    meeting.ends_at += timedelta(days=1)
    meeting_services.meeting_save(meeting=meeting)
    meeting_services.meeting_cancel(meeting_id=meeting.pk, reason="Room unavailable.")

    for registration in (seated, waiting):
        rows = list(
            OutboxEmail.objects.filter(
                user=registration.user, kind__in=("meeting-changed", "meeting-cancelled")
            ).order_by("created_at", "pk")
        )
        assert [r.kind for r in rows] == ["meeting-changed", "meeting-cancelled"]
        change, cancel = (_calendar(r) for r in rows)
        assert str(cancel["method"]) == "CANCEL"
        assert str(cancel.walk("VEVENT")[0]["status"]) == "CANCELLED"
        assert cancel.walk("VEVENT")[0]["sequence"] > change.walk("VEVENT")[0]["sequence"]
        registration.refresh_from_db()
        assert registration.status == Registration.Status.ORGANISER_CANCELLED

    client.force_login(seated.user)
    page = client.get(reverse("members:account")).content.decode()
    assert "Cancelled by the organiser." in page
    assert "Room unavailable." in page

    with pytest.raises(ChangeRefused, match="already cancelled"):
        meeting_services.meeting_cancel(meeting_id=meeting.pk, reason="Again.")
    assert OutboxEmail.objects.filter(kind="meeting-cancelled").count() == 2
