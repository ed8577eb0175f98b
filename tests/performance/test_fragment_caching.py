"""Rendered fragments (the meeting list, the training session list, the filter forms)
are cached on versions that the writing services bump: a change made through a
service shows on the very next request, while the cached copy is reused otherwise."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Meeting, Registration
from members import services as member_services
from members.models import Council, Topic
from network_portal import caching
from resources import services as resource_services
from resources.models import Resource
from tests.factories import approved_member
from tests.resources.factories import ResourceFactory
from training import services as training_services
from training.models import Booking, Session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_public_page_copy(settings):
    # The anonymous page copy has its own 60-second policy; these tests are about the fragments.
    settings.PUBLIC_PAGE_MAX_AGE = 0


@pytest.fixture
def member_client(client, small_network):
    client.force_login(approved_member().user)
    return client


@pytest.fixture
def hybrid_meeting(small_network):
    starts = timezone.now() + timedelta(days=5)
    return Meeting.objects.create(
        title="Fragment test meeting",
        slug="fragment-test-meeting",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        format=Meeting.Format.HYBRID,
        venue_name="City Hall",
        in_person_capacity=10,
        joining_url="https://meet.example.org/fragment",
        chair="Chair",
        status=Meeting.Status.PUBLISHED,
    )


def test_the_meeting_list_is_served_from_its_cached_copy_until_a_service_changes_it(member_client, hybrid_meeting):
    assert "Fragment test meeting" in member_client.get("/meetings/").text
    # A write that bypasses the services does not bump the version: the cached copy is used.
    Meeting.objects.filter(pk=hybrid_meeting.pk).update(title="Renamed behind the services' back")
    assert "Fragment test meeting" in member_client.get("/meetings/").text


def test_a_meeting_that_ends_moves_to_the_past_in_the_cached_list_without_any_write(client, hybrid_meeting):
    def section_of_meeting():
        page = client.get("/meetings/").text
        return "past" if page.index("fragment-test-meeting") > page.index('id="past-heading"') else "upcoming"

    assert section_of_meeting() == "upcoming"
    with time_machine.travel(hybrid_meeting.ends_at + timedelta(seconds=1)):
        assert section_of_meeting() == "past"


def test_a_meeting_edited_through_its_service_shows_in_the_list_on_the_next_request(
    member_client, hybrid_meeting, django_capture_on_commit_callbacks
):
    member_client.get("/meetings/")
    hybrid_meeting.title = "Renamed quarterly meeting"
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_save(meeting=hybrid_meeting)

    page = member_client.get("/meetings/").text
    assert "Renamed quarterly meeting" in page
    assert "Fragment test meeting" not in page


def test_a_registration_changes_the_listed_seat_count_on_the_next_request(
    member_client, hybrid_meeting, django_capture_on_commit_callbacks
):
    assert "In-person places taken: 0 of 10" in member_client.get("/meetings/").text
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.registration_create(
            meeting_id=hybrid_meeting.pk, user=approved_member().user, mode=Registration.Mode.IN_PERSON
        )

    assert "In-person places taken: 1 of 10" in member_client.get("/meetings/").text


def test_a_booking_changes_the_seats_left_in_the_session_list_on_the_next_request(
    client, small_network, django_capture_on_commit_callbacks
):
    session = Session.objects.upcoming().with_counts().order_by("starts_at").first()
    assert session is not None and session.seats_left > 2
    assert f"{session.seats_left} seats left" in _session_card(client, session)

    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(member=approved_member(), session=session)

    assert f"{session.seats_left - 1} seats left" in _session_card(client, session)


def test_a_session_that_starts_leaves_the_cached_session_list_without_any_write(client, small_network):
    first = Session.objects.upcoming().order_by("starts_at", "pk").first()
    link = f'href="{first.get_absolute_url()}"'
    before, after = first.starts_at - timedelta(minutes=1), first.starts_at + timedelta(seconds=1)
    assert timezone.localdate(before) == timezone.localdate(after)  # the date in the key stays the same

    with time_machine.travel(before, tick=False):
        assert link in client.get("/training/").text
    with time_machine.travel(after, tick=False):
        assert link not in client.get("/training/").text


def test_a_booking_changes_the_seats_left_on_the_cached_session_page_on_the_next_request(
    client, small_network, django_capture_on_commit_callbacks
):
    session = Session.objects.upcoming().with_counts().order_by("starts_at").first()
    assert f"{session.seats_left} seats left" in client.get(session.get_absolute_url()).text
    # Behind the services' back: the cached session is served.
    Session.objects.filter(pk=session.pk).update(capacity=session.capacity + 50)
    assert f"of {session.capacity} taken" in client.get(session.get_absolute_url()).text
    Session.objects.filter(pk=session.pk).update(capacity=session.capacity)

    with django_capture_on_commit_callbacks(execute=True):
        training_services.booking_create(member=approved_member(), session=session)

    assert f"{session.seats_left - 1} seats left" in client.get(session.get_absolute_url()).text


def test_a_course_renamed_through_its_service_shows_in_the_session_list_on_the_next_request(
    client, small_network, django_capture_on_commit_callbacks
):
    course = Session.objects.upcoming().order_by("starts_at").first().course
    client.get("/training/")
    course.title = "Renamed wellbeing course"
    with django_capture_on_commit_callbacks(execute=True):
        training_services.course_save(course=course)

    assert "Renamed wellbeing course: " in client.get("/training/").text


def test_a_council_renamed_through_its_service_shows_in_the_directory_filter_on_the_next_request(
    member_client, django_capture_on_commit_callbacks
):
    council = Council.objects.order_by("name").first()
    assert f">{council.name}</option>" in member_client.get("/members/directory/").text
    council.name = "Renamed Borough"
    with django_capture_on_commit_callbacks(execute=True):
        member_services.council_save(council=council)

    assert ">Renamed Borough</option>" in member_client.get("/members/directory/").text


def test_a_topic_renamed_through_its_service_shows_in_the_library_filter_on_the_next_request(
    client, small_network, django_capture_on_commit_callbacks
):
    topic = Topic.objects.order_by("pk").first()
    assert f">{topic.name}</option>" in client.get("/resources/?q=housing").text
    topic.name = "Renamed topic"
    with django_capture_on_commit_callbacks(execute=True):
        member_services.topic_save(topic=topic)

    assert ">Renamed topic</option>" in client.get("/resources/?q=housing").text


def test_a_resource_saved_through_its_service_shows_in_the_library_results_on_the_next_request(
    client, small_network, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(title="Quarterly housing briefing")
    assert "Quarterly housing briefing" in client.get("/resources/?q=housing").text
    # Behind the services' back: the cached results are served.
    Resource.objects.filter(pk=resource.pk).update(title="Renamed behind the services' back housing")
    assert "Quarterly housing briefing" in client.get("/resources/?q=housing").text

    resource.title = "Renamed housing briefing"
    with django_capture_on_commit_callbacks(execute=True):
        resource_services.resource_save(resource=resource)

    assert "Renamed housing briefing" in client.get("/resources/?q=housing").text


def test_a_scheduled_resource_appears_in_the_cached_library_results_when_its_time_comes(client, small_network):
    publish_at = timezone.now() + timedelta(hours=2)
    ResourceFactory(title="Scheduled housing toolkit", published_at=publish_at)
    assert "Scheduled housing toolkit" not in client.get("/resources/?q=housing").text

    with time_machine.travel(publish_at + timedelta(seconds=1)):
        assert "Scheduled housing toolkit" in client.get("/resources/?q=housing").text


def _session_card(client, session) -> str:
    page = client.get("/training/").text
    start = page.index(f'href="{session.get_absolute_url()}"')
    return page[start : page.index("</li>", start)]


@pytest.fixture
def booker(client, small_network):
    member = approved_member()
    client.force_login(member.user)
    session = Session.objects.upcoming().with_counts().filter(capacity__gt=1).order_by("starts_at").first()
    return member, session


def test_a_members_booking_is_kept_with_the_session_page_until_a_booking_write(client, booker):
    member, session = booker
    assert "Cancel my booking" not in client.get(session.get_absolute_url()).text
    # Behind every service and signal: the kept "no booking" is served.
    Booking.objects.bulk_create([Booking.of_member(session=session, member=member)])
    assert "Cancel my booking" not in client.get(session.get_absolute_url()).text


def test_a_booking_made_through_the_service_shows_on_the_session_page_on_the_next_request(client, booker):
    member, session = booker
    assert "Cancel my booking" not in client.get(session.get_absolute_url()).text
    training_services.booking_create(member=member, session=session)
    assert "Cancel my booking" in client.get(session.get_absolute_url()).text


def test_a_session_cancelled_in_bulk_takes_the_booking_off_the_session_page_on_the_next_request(client, booker):
    member, session = booker
    training_services.booking_create(member=member, session=session)
    assert "Cancel my booking" in client.get(session.get_absolute_url()).text
    training_services.session_cancel(session_id=session.pk, reason="The trainer is ill.")
    assert "Cancel my booking" not in client.get(session.get_absolute_url()).text


def test_a_booking_changed_in_the_admin_shows_on_the_session_page_on_the_next_request(client, booker):
    member, session = booker
    booking = training_services.booking_create(member=member, session=session)
    assert "Cancel my booking" in client.get(session.get_absolute_url()).text
    booking.status = Booking.Status.WAITLISTED
    booking.save()  # as the admin's change form does
    assert "Leave the waiting list" in client.get(session.get_absolute_url()).text


def test_the_session_page_reads_the_session_and_the_booking_in_one_round_trip(client, booker, cache_reads):
    member, session = booker
    client.get(session.get_absolute_url())  # keeps both
    cache_reads.clear()

    assert client.get(session.get_absolute_url()).status_code == 200

    assert len(cache_reads) == 1
    assert caching.key_for("training:my-booking", session.pk, member.pk) in cache_reads[0]
