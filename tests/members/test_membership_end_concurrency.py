"""Real threads against PostgreSQL: erasing the account that holds the last
seat of a full session, while others book it, hands that seat to the first
person waiting, once."""

import pytest

from members import services
from network_portal.models import OutboxEmail
from tests.concurrency import run_at_once
from tests.factories import CouncilFactory, MemberFactory
from tests.training.test_concurrency import _booking_call
from training import services as training_services
from training.models import Booking

from ..training.factories import SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 12
REPEATS = 4


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _erase_call(member):
    def call():
        services.member_erase(user=member.user)
        return "erased"

    return call


def test_erasing_the_last_seat_holder_while_bookings_race_promotes_the_first_waiting_once():
    council = CouncilFactory()
    bookers = [MemberFactory(council=council) for _ in range(BOOKERS)]
    for _ in range(REPEATS):
        holder, first_waiting = MemberFactory(council=council), MemberFactory(council=council)
        session = SessionFactory(capacity=1)
        training_services.booking_create(member=holder, session=session)
        queued = training_services.booking_create(member=first_waiting, session=session)

        results, errors = run_at_once([_erase_call(holder)] + [_booking_call(m, session) for m in bookers])

        assert errors == []
        assert results.count("erased") == 1
        # Every racing booker found the session full: the freed seat was not theirs to take.
        assert results.count(Booking.Status.WAITLISTED) == BOOKERS
        assert list(session.bookings.confirmed().values_list("pk", flat=True)) == [queued.pk]
        assert session.bookings.waitlisted().count() == BOOKERS
        assert OutboxEmail.objects.filter(kind="training-promoted", dedupe_key__endswith=f":{queued.pk}").count() == 1
        assert OutboxEmail.objects.filter(kind="training-promoted", user__member__in=bookers).count() == 0
