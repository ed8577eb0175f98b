"""My account's "My training": what it shows is read in one query, and it moves with the clock."""

from datetime import timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from tests.factories import MemberFactory
from training import services
from training.models import Booking, FollowUp

from .factories import BookingFactory, FollowUpFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db

MY_TRAINING = Template("{% load training %}{% my_training user %}")


def _my_training(user) -> str:
    return MY_TRAINING.render(Context({"user": user}))


def test_waiting_list_places_are_those_the_session_page_gives(client):
    session = SessionFactory(capacity=1)
    BookingFactory(session=session)
    waiting = [BookingFactory(session=session, status=Booking.Status.WAITLISTED) for _ in range(3)]
    # Booked in the same instant as the second: the id decides who is ahead.
    tied = BookingFactory(session=session, status=Booking.Status.WAITLISTED, created_at=waiting[1].created_at)

    for booking in [*waiting, tied]:
        place = services.waitlist_position(booking)
        assert f"number {place} on the waiting list" in _my_training(booking.member.user)
    assert [services.waitlist_position(b) for b in [*waiting, tied]] == [1, 2, 4, 3]


def test_only_follow_ups_that_are_open_and_unanswered_are_offered():
    member = MemberFactory()
    seven_months = BookingFactory(member=member, session=past_session(days_ago=213), attended=Booking.Attended.YES)
    FollowUpFactory(booking=seven_months, wave=FollowUp.Wave.THREE_MONTHS)
    four_months = BookingFactory(member=member, session=past_session(days_ago=122), attended=Booking.Attended.YES)

    html = _my_training(member.user)

    assert reverse("training:followup", args=[seven_months.pk, "6m"]) in html
    assert reverse("training:followup", args=[seven_months.pk, "3m"]) not in html
    assert reverse("training:followup", args=[four_months.pk, "3m"]) in html
    assert reverse("training:followup", args=[four_months.pk, "6m"]) not in html


def test_the_section_is_one_query_however_many_bookings_wait_or_were_followed_up(django_assert_num_queries):
    member = MemberFactory()
    for _ in range(5):
        session = SessionFactory(capacity=0)
        BookingFactory(session=session, status=Booking.Status.WAITLISTED)
        BookingFactory(session=session, member=member, status=Booking.Status.WAITLISTED)
        attended = BookingFactory(member=member, session=past_session(days_ago=200), attended=Booking.Attended.YES)
        FollowUpFactory(booking=attended, wave=FollowUp.Wave.THREE_MONTHS)

    with django_assert_num_queries(1):
        html = _my_training(member.user)

    assert html.count("number 2 on the waiting list") == 5
    assert html.count("Answer the 3 months follow-up") == 0
    assert html.count("Answer the 6 months follow-up") == 5
    assert html.count("Give feedback") == 5


def test_a_session_moves_to_taken_part_when_it_starts_and_its_follow_up_appears_when_it_opens():
    booking = BookingFactory(session=SessionFactory(), attended=Booking.Attended.YES)
    session, user = booking.session, booking.member.user
    assert "Coming up" in _my_training(user)

    with time_machine.travel(session.starts_at - timedelta(seconds=1), tick=False):
        assert "Coming up" in _my_training(user) and "Taken part" not in _my_training(user)
    with time_machine.travel(session.starts_at, tick=False):
        assert "Taken part" in _my_training(user) and "Coming up" not in _my_training(user)

    three_months = reverse("training:followup", args=[booking.pk, "3m"])
    opens = services.followup_opens_at(session, FollowUp.Wave.THREE_MONTHS)
    with time_machine.travel(opens - timedelta(seconds=1), tick=False):
        assert three_months not in _my_training(user)
    with time_machine.travel(opens, tick=False):
        assert three_months in _my_training(user)
