"""Real threads against PostgreSQL: the seat count is read under the session
row lock, so concurrent bookings and cancellations cannot oversell a session."""

import pytest

from members.models import Council
from tests.concurrency import run_at_once
from tests.factories import CouncilFactory, MemberFactory
from training import services
from training.models import Booking, Session

from .factories import SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEATS = 5
BOOKERS = 50
REPEATS = 10


def _booking_call(member, session):
    def call():
        try:
            return services.booking_create(member=member, session=session).status
        except services.BookingRefused as refusal:
            return refusal.message

    return call


def _members(council: Council, count: int):
    return [MemberFactory(council=council) for _ in range(count)]


def _race_for_last_seats(members):
    """A fresh session per race; the same members may book each one."""
    session = SessionFactory(capacity=SEATS)
    return session, run_at_once([_booking_call(member, session) for member in members])


def test_fifty_concurrent_bookings_for_five_seats_confirm_exactly_five_every_time():
    members = _members(CouncilFactory(), BOOKERS)
    for _ in range(REPEATS):
        session, (results, errors) = _race_for_last_seats(members)
        assert errors == []
        assert sorted(results).count(Booking.Status.CONFIRMED) == SEATS
        assert session.bookings.confirmed().count() == SEATS
        assert session.bookings.waitlisted().count() == BOOKERS - SEATS
        # Waiting-list positions run 1..45 with no gaps or repeats.
        positions = sorted(services.waitlist_position(b) for b in session.bookings.waitlisted())
        assert positions == list(range(1, BOOKERS - SEATS + 1))


def test_without_the_lock_the_same_race_overbooks(monkeypatch):
    """Negative control: the test can see a race. A test-only path reads the
    session without FOR UPDATE; then bookings count seats concurrently."""

    def read_without_lock(session_id):
        return Session.objects.select_related("course", "council").get(pk=session_id)

    monkeypatch.setattr(services, "_lock_session", read_without_lock)
    members = _members(CouncilFactory(), BOOKERS)
    confirmed_counts = []
    for _ in range(5):
        session, (results, errors) = _race_for_last_seats(members)
        assert errors == []
        confirmed_counts.append(session.bookings.confirmed().count())
        if confirmed_counts[-1] > SEATS:
            break
    assert max(confirmed_counts) > SEATS, f"no overbooking seen in {confirmed_counts}"


def test_ten_concurrent_submits_by_one_member_leave_one_booking():
    session = SessionFactory(capacity=SEATS)
    member = MemberFactory()
    results, errors = run_at_once([_booking_call(member, session) for _ in range(10)])
    assert errors == []
    assert Booking.objects.filter(member=member).count() == 1
    assert results.count(Booking.Status.CONFIRMED) == 1
    refusals = [r for r in results if r != Booking.Status.CONFIRMED]
    assert len(refusals) == 9
    assert all("already booked" in message for message in refusals)


def test_twenty_concurrent_cancellations_promote_the_waiting_list_in_order():
    capacity = 20
    council = CouncilFactory()
    session = SessionFactory(capacity=capacity)
    holders = [services.booking_create(member=m, session=session) for m in _members(council, capacity)]
    waiting = [services.booking_create(member=m, session=session) for m in _members(council, capacity)]
    assert {b.status for b in waiting} == {Booking.Status.WAITLISTED}

    def cancel(booking):
        return lambda: len(services.booking_cancel(booking=booking))

    results, errors = run_at_once([cancel(b) for b in holders])
    assert errors == []
    assert results == [1] * capacity
    assert session.bookings.confirmed().count() == capacity
    promoted = list(session.bookings.confirmed().order_by("promoted_at"))
    assert [b.pk for b in promoted] == [b.pk for b in waiting]
    assert all(b.promoted_at is not None for b in promoted)
