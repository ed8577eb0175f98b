"""My account's "My meetings": registrations, waiting-list places and the calendar feed read in one
query, and meetings moving to the past with the clock."""

from datetime import timedelta

import pytest
import time_machine

from meetings import services
from meetings.models import Registration
from meetings.templatetags.meetings import my_meetings_lists
from network_portal.urls_util import absolute_url
from tests.factories import MemberFactory

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _my_meetings(user) -> dict:
    return my_meetings_lists(user)[0]


def _waiting(meeting, **fields) -> Registration:
    return RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED, **fields)


def test_waiting_list_places_are_those_the_meeting_page_gives():
    full = MeetingFactory(in_person_capacity=0)
    waiting = [_waiting(full) for _ in range(3)]
    # Registered in the same instant as the second: the id decides who is ahead.
    tied = _waiting(full, created_at=waiting[1].created_at)

    for registration in [*waiting, tied]:
        (shown,) = _my_meetings(registration.user)["upcoming"]
        assert shown.waitlist_position == services.registration_waitlist_position(registration=registration)
    assert [services.registration_waitlist_position(registration=r) for r in [*waiting, tied]] == [1, 2, 4, 3]


def test_registrations_waiting_places_and_the_feed_are_one_query(django_assert_num_queries):
    user = MemberFactory().user
    feed = services.calendar_feed_regenerate(user=user)
    for _ in range(4):
        full = MeetingFactory(in_person_capacity=0)
        _waiting(full)
        _waiting(full, user=user)
        RegistrationFactory(user=user)

    with django_assert_num_queries(1):
        section = _my_meetings(user)

    assert [r.waitlist_position for r in section["upcoming"] if r.is_waitlisted] == [2, 2, 2, 2]
    assert section["feed_url"] == absolute_url(feed.get_absolute_url())


def test_the_feed_shows_without_any_registration_to_carry_it(django_assert_num_queries):
    user = MemberFactory().user
    assert _my_meetings(user)["feed_url"] == ""
    feed = services.calendar_feed_regenerate(user=user)

    with django_assert_num_queries(2):
        assert _my_meetings(user)["feed_url"] == absolute_url(feed.get_absolute_url())


def test_a_meeting_moves_to_the_past_once_it_has_ended():
    registration = RegistrationFactory(user=MemberFactory().user)
    ends_at = registration.meeting.ends_at

    with time_machine.travel(ends_at, tick=False):
        section = _my_meetings(registration.user)
        assert (section["upcoming"], section["past"]) == ([registration], [])
    with time_machine.travel(ends_at + timedelta(seconds=1), tick=False):
        section = _my_meetings(registration.user)
        assert (section["upcoming"], section["past"]) == ([], [registration])
