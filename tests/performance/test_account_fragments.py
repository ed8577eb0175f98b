"""My account's sections (My training, My meetings, downloads and submissions) are kept per
member on versions that every write to what they show bumps: a service, an admin save, a
bulk update, erasure. A change shows on the very next request; the clock moves them too."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Registration
from members import services as member_services
from members.models import Member, Topic
from network_portal import caching, fragments
from resources import services as resource_services
from resources.privacy import _anonymise_downloads
from tests.factories import approved_member
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.resources.factories import CaseStudyFactory, ResourceFactory, UpdateFactory
from tests.training.factories import (
    BookingFactory,
    FeedbackFactory,
    FollowUpFactory,
    SessionFactory,
    past_session,
)
from training import services as training_services
from training.models import Booking, Feedback, FollowUp

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("members:account")
PUBLISH = Feedback.TestimonialConsent.ANONYMOUS


@pytest.fixture(autouse=True)
def _commit_callbacks_run(django_capture_on_commit_callbacks):
    # The services bump again on commit; the test transaction never commits.
    with django_capture_on_commit_callbacks(execute=True):
        yield


@pytest.fixture
def member(client):
    member = approved_member()
    client.force_login(member.user)
    return member


def account(client) -> str:
    return client.get(ACCOUNT).text


def account_later(client, member, moment) -> str:
    """The page at a later moment, signed in afresh (the sign-in would have lapsed by then)."""
    with time_machine.travel(moment):
        client.force_login(member.user)
        return account(client)


def test_the_sections_are_served_from_the_kept_copy_until_a_write_bumps_them(client, member):
    booking = BookingFactory(member=member, session=SessionFactory())
    assert "booked" in account(client)
    # A bulk update behind the services' back sends no signal: the kept copy is shown.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.WAITLISTED)
    assert "on the waiting list" not in account(client)


def test_a_booking_made_through_the_service_shows_on_the_next_request(client, member):
    session = SessionFactory()
    assert "You have no training booked" in account(client)
    training_services.booking_create(session=session, member=member)
    assert session.get_absolute_url() in account(client)


def test_cancelling_a_booking_moves_the_next_member_up_the_waiting_list(client, member):
    session = SessionFactory(capacity=1)
    ahead = BookingFactory(session=session)
    BookingFactory(session=session, status=Booking.Status.WAITLISTED)
    BookingFactory(member=member, session=session, status=Booking.Status.WAITLISTED)
    assert "number 2 on the waiting list" in account(client)
    training_services.booking_cancel(booking=ahead)  # the first waiting is promoted
    assert "number 1 on the waiting list" in account(client)


def test_an_organiser_cancelling_the_session_shows_on_the_next_request(client, member):
    booking = BookingFactory(member=member, session=SessionFactory())
    account(client)
    training_services.session_cancel(session_id=booking.session_id, reason="The trainer is ill")
    assert "cancelled by the organiser" in account(client)


def test_attendance_marked_by_staff_offers_feedback_and_the_certificate(client, member):
    booking = BookingFactory(member=member, session=past_session(days_ago=2))
    assert "Give feedback" not in account(client)
    training_services.booking_mark_attendance(booking_ids=[booking.pk], attended=Booking.Attended.YES)
    page = account(client)
    assert "Give feedback" in page and reverse("training:certificate", args=[booking.pk]) in page


def test_feedback_given_and_a_testimonial_withdrawn_show_on_the_next_request(client, member):
    booking = BookingFactory(member=member, session=past_session(days_ago=2), attended=Booking.Attended.YES)
    assert "Give feedback" in account(client)
    feedback = FeedbackFactory(booking=booking, testimonial="It helped.", testimonial_consent=PUBLISH)
    page = account(client)
    assert "Give feedback" not in page and "Withdraw my testimonial" in page
    training_services.testimonial_approve(feedback_ids=[feedback.pk], approved_by=None)
    assert "is published on the website" in account(client)
    training_services.testimonial_withdraw(feedback=feedback)
    assert "Withdraw my testimonial" not in account(client)


def test_a_follow_up_opens_by_the_clock_and_goes_once_answered(client, member):
    booking = BookingFactory(member=member, session=past_session(days_ago=80), attended=Booking.Attended.YES)
    opens = training_services.followup_opens_at(booking.session, FollowUp.Wave.THREE_MONTHS)
    assert "follow-up" not in account(client)
    later = opens + timedelta(minutes=1)
    link = reverse("training:followup", args=[booking.pk, FollowUp.Wave.THREE_MONTHS])
    assert link in account_later(client, member, later)
    FollowUpFactory(booking=booking, wave=FollowUp.Wave.THREE_MONTHS)
    assert link not in account_later(client, member, later)


def test_a_session_that_starts_moves_to_taken_part_without_any_write(client, member):
    booking = BookingFactory(member=member, session=SessionFactory())
    assert "Coming up" in account(client)
    page = account_later(client, member, booking.session.starts_at + timedelta(seconds=1))
    assert "Taken part" in page and "Coming up" not in page


def test_a_course_renamed_in_the_admin_shows_on_the_next_request(client, member):
    booking = BookingFactory(member=member, session=SessionFactory())
    account(client)
    course = booking.session.course
    course.title = "Renamed in the admin"
    course.save()  # what the admin's save does
    assert "Renamed in the admin" in account(client)


def test_anonymising_old_bookings_takes_them_off_the_list(client, member):
    BookingFactory(member=member, session=past_session(days_ago=800))
    assert "Taken part" in account(client)
    training_services.bookings_anonymise(ended_before=timezone.now())
    assert "You have no training booked" in account(client)


def test_a_registration_and_a_meeting_cancelled_show_on_the_next_request(client, member):
    meeting = MeetingFactory()
    assert meeting.title not in account(client)
    meeting_services.registration_create(meeting_id=meeting.pk, user=member.user, mode=Registration.Mode.ONLINE)
    assert meeting.title in account(client)
    meeting_services.meeting_cancel(meeting_id=meeting.pk, reason="The venue flooded")
    assert "Cancelled by the organiser." in account(client)


def test_a_meeting_that_ends_moves_to_the_past_without_any_write(client, member):
    registration = RegistrationFactory(user=member.user)
    assert "Meetings you registered for" not in account(client)
    later = registration.meeting.ends_at + timedelta(seconds=1)
    assert "Meetings you registered for" in account_later(client, member, later)


def test_a_new_calendar_address_shows_on_the_next_request(client, member):
    assert "Create my calendar address" in account(client)
    feed = meeting_services.calendar_feed_regenerate(user=member.user)
    assert feed.token in account(client)


def test_downloads_and_their_anonymising_show_on_the_next_request(client, member):
    resource = ResourceFactory()
    assert resource.title not in account(client)
    resource_services.download_record(resource=resource, user=member.user)
    assert resource.title in account(client)
    _anonymise_downloads(cutoff=timezone.now() + timedelta(seconds=1), now=timezone.now())
    assert resource.title not in account(client)


def test_a_case_study_returned_and_an_update_approved_show_on_the_next_request(client, member, admin_user):
    case_study = CaseStudyFactory(submitter=member.user)
    update = UpdateFactory(author=member.user, status="submitted", published_at=None)
    account(client)
    resource_services.casestudy_return(case_study_id=case_study.pk, staff_user=admin_user, note="Add figures")
    resource_services.update_approve(update_ids=[update.pk], staff_user=admin_user)
    page = account(client)
    assert "Add figures" in page and update.get_absolute_url() in page
    resource_services.update_withdraw(update_ids=[update.pk])
    assert update.get_absolute_url() not in account(client)


def test_erasing_a_member_moves_the_next_member_up_the_waiting_list(client, member):
    session = SessionFactory(capacity=1)
    erased = approved_member()
    BookingFactory(member=erased, session=session)
    BookingFactory(member=member, session=session, status=Booking.Status.WAITLISTED)
    assert "number 1 on the waiting list" in account(client)
    member_services.member_erase(user=erased.user)
    assert "on the waiting list" not in account(client)


def test_the_sections_forms_carry_this_requests_csrf_token_and_none_is_kept(client, member):
    booking = BookingFactory(member=member, session=past_session(days_ago=2), attended=Booking.Attended.YES)
    FeedbackFactory(booking=booking, testimonial="It helped.", testimonial_consent=PUBLISH)
    page = account(client)
    _stamp, (kept_html, _changes_at) = cache.get(caching.key_for("account:my-training", member.user.pk))
    assert fragments.CSRF_PLACEHOLDER in kept_html
    assert fragments.CSRF_PLACEHOLDER not in page
    assert 'name="csrfmiddlewaretoken" value="' in page.split("Withdraw my testimonial")[0].rsplit("<form", 1)[1]


def test_another_member_never_sees_my_section(client, member):
    BookingFactory(member=member, session=SessionFactory())
    assert "Coming up" in account(client)
    client.force_login(approved_member().user)
    assert "You have no training booked" in account(client)


def test_interests_changed_through_the_profile_show_on_my_account_on_the_next_request(client, member):
    topic = Topic.objects.create(name="Loneliness", slug="loneliness-account")
    assert "Loneliness" not in account(client)
    member_services.member_profile_update(
        member=member, first_name="Ann", last_name="Other", ward="Central", interests=[topic]
    )
    assert "Loneliness" in account(client)


def test_my_council_renamed_through_its_service_shows_on_my_account_on_the_next_request(client, member):
    assert member.council.name in account(client)
    member.council.name = "Renamed borough"
    member_services.council_save(council=member.council)
    assert "Renamed borough" in account(client)


def test_my_interests_are_kept_until_a_write_bumps_them(client, member):
    topic = Topic.objects.create(name="Loneliness", slug="loneliness-kept")
    assert "Loneliness" not in account(client)
    # Behind every service and signal (a raw insert into the link table): the kept copy is served.
    Member.interests.through.objects.bulk_create([Member.interests.through(member=member, topic=topic)])
    assert "Loneliness" not in account(client)


def test_a_ward_changed_through_the_profile_shows_on_my_account_on_the_next_request(client, member):
    assert "Riverside" not in account(client)
    member_services.member_profile_update(member=member, first_name="Ann", last_name="Other", ward="Riverside")
    assert "Riverside" in account(client)


def test_the_page_reads_every_kept_section_in_one_round_trip(client, member, cache_reads):
    BookingFactory(member=member, session=SessionFactory())
    account(client)  # keeps the copies
    cache_reads.clear()

    page = account(client)

    assert len(cache_reads) == 1
    assert all(
        caching.key_for(f"account:my-{part}", member.user.pk) in cache_reads[0] for part in ("training", "meetings")
    )
    assert "Coming up" in page and "<!--kept-section-" not in page
