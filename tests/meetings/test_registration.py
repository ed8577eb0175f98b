from datetime import timedelta

import icalendar
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Registration
from members.models import Member
from network_portal.models import OutboxEmail
from tests.factories import MemberFactory, UserFactory

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _register(meeting, user, mode=Registration.Mode.IN_PERSON, **kwargs):
    return services.registration_create(meeting_id=meeting.pk, user=user, mode=mode, **kwargs)


def test_registration_confirmation_email_has_the_ics_attached(member, mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()

    with django_capture_on_commit_callbacks(execute=True):
        registration = _register(meeting, member.user, Registration.Mode.ONLINE)

    row = OutboxEmail.objects.get(kind="meeting-registered")
    assert row.dedupe_key == f"meeting-registered:meeting:{meeting.pk}:registration:{registration.pk}"
    assert [m.to for m in mailoutbox] == [[member.user.email]]
    [(filename, content, mimetype)] = mailoutbox[0].attachments
    assert (filename, mimetype) == (f"{meeting.slug}.ics", "text/calendar")
    event = icalendar.Calendar.from_ical(content).walk("VEVENT")[0]
    assert event["uid"] == f"meeting-{meeting.pk}@testserver"
    # The registrant is online, so their own copy carries the joining link.
    assert meeting.joining_url in str(event["description"])
    assert meeting.joining_url in mailoutbox[0].body
    assert "You registered for this meeting" in mailoutbox[0].body
    assert row.attachments[0]["mimetype"] == "text/calendar"


def test_in_person_registrant_email_names_the_venue(member, mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory(format=Meeting.Format.IN_PERSON, joining_url="")

    with django_capture_on_commit_callbacks(execute=True):
        _register(meeting, member.user)

    assert "Venue: City Hall" in mailoutbox[0].body


def test_registering_twice_is_refused_with_no_new_row(member):
    meeting = MeetingFactory()
    _register(meeting, member.user)

    with pytest.raises(services.RegistrationRefused, match="already registered"):
        _register(meeting, member.user, Registration.Mode.ONLINE)

    assert Registration.objects.filter(meeting=meeting).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"registration_closes_at": timezone.now() - timedelta(hours=1)}, "has closed"),
        (
            {"starts_at": timezone.now() - timedelta(hours=3), "ends_at": timezone.now() - timedelta(hours=1)},
            "taken place",
        ),
        ({"status": Meeting.Status.CANCELLED}, "cancelled"),
        ({"status": Meeting.Status.DRAFT}, "not open"),
        ({"format": Meeting.Format.ONLINE}, "online only"),
    ],
)
def test_registration_refused_when_meeting_not_open(member, changes, message):
    meeting = MeetingFactory(**changes)

    with pytest.raises(services.RegistrationRefused, match=message):
        _register(meeting, member.user, Registration.Mode.IN_PERSON)

    assert not Registration.objects.exists()


@pytest.mark.parametrize("status", [Member.Status.PENDING, Member.Status.REJECTED, Member.Status.FORMER])
def test_only_approved_members_can_register(status):
    meeting = MeetingFactory()
    pending = MemberFactory(status=status)

    with pytest.raises(services.RegistrationRefused, match="approved members"):
        _register(meeting, pending.user)

    assert not Registration.objects.exists()


def test_full_in_person_list_refuses_unless_member_chooses_waiting_list(member):
    meeting = MeetingFactory(in_person_capacity=1)
    _register(meeting, MemberFactory().user)

    with pytest.raises(services.RegistrationRefused) as refused:
        _register(meeting, member.user)
    assert refused.value.in_person_full
    assert Registration.objects.filter(user=member.user).count() == 0

    waiting = _register(meeting, member.user, waitlist_ok=True)
    assert waiting.status == Registration.Status.WAITLISTED
    assert services.registration_waitlist_position(registration=waiting) == 1
    notice = OutboxEmail.objects.get(kind="meeting-waitlisted", user=member.user)
    assert "number 1 on the in-person waiting list" in notice.body_text


def test_full_in_person_list_still_allows_online(member):
    meeting = MeetingFactory(in_person_capacity=0)

    registration = _register(meeting, member.user, Registration.Mode.ONLINE)

    assert registration.status == Registration.Status.REGISTERED


def test_cancelling_an_in_person_place_promotes_the_first_on_the_waiting_list(
    member, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(in_person_capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        seat = _register(meeting, member.user)
        first, second = (_register(meeting, MemberFactory().user, waitlist_ok=True) for _ in range(2))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration_id=seat.pk)

    first.refresh_from_db(), second.refresh_from_db(), seat.refresh_from_db()
    assert seat.status == Registration.Status.CANCELLED
    assert first.status == Registration.Status.REGISTERED
    assert second.status == Registration.Status.WAITLISTED
    assert services.registration_waitlist_position(registration=second) == 1
    assert [m.to for m in mailoutbox] == [[first.user.email]]
    assert "place has come up" in mailoutbox[0].subject
    assert mailoutbox[0].attachments[0][2] == "text/calendar"


def test_cancelling_an_online_place_promotes_nobody(member):
    meeting = MeetingFactory(in_person_capacity=1)
    _register(meeting, MemberFactory().user)
    waiting = _register(meeting, MemberFactory().user, waitlist_ok=True)
    online = _register(meeting, member.user, Registration.Mode.ONLINE)

    services.registration_cancel(registration_id=online.pk)

    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.WAITLISTED


def test_cancelled_member_can_register_again(member):
    meeting = MeetingFactory()
    services.registration_cancel(registration_id=_register(meeting, member.user).pk)

    again = _register(meeting, member.user, Registration.Mode.ONLINE)

    assert again.status == Registration.Status.REGISTERED
    assert Registration.objects.filter(meeting=meeting, user=member.user).count() == 2


def test_cancelling_twice_is_refused(member):
    registration = _register(MeetingFactory(), member.user)
    services.registration_cancel(registration_id=registration.pk)

    with pytest.raises(services.RegistrationRefused, match="already cancelled"):
        services.registration_cancel(registration_id=registration.pk)


def test_raising_capacity_promotes_into_the_new_seats():
    meeting = MeetingFactory(in_person_capacity=1)
    _register(meeting, MemberFactory().user)
    waiting = [_register(meeting, MemberFactory().user, waitlist_ok=True) for _ in range(3)]

    meeting.in_person_capacity = 3
    services.meeting_save(meeting=meeting)

    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == [Registration.Status.REGISTERED, Registration.Status.REGISTERED, Registration.Status.WAITLISTED]


def test_staff_without_member_row_can_register():
    staff = UserFactory(is_staff=True)
    registration = _register(MeetingFactory(), staff)
    assert registration.is_registered


def test_registration_row_stays_unique_per_active_member():
    registration = RegistrationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=registration.meeting, user=registration.user, mode="online")
