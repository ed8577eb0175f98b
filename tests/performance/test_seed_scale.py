import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from meetings.models import Meeting, Registration
from members.models import Member, User
from network_portal.seeding import Seeder
from resources.models import Download, Resource, Update
from training.models import Booking, Course, Feedback, FollowUp, Session

from .conftest import SMALL, seed

pytestmark = pytest.mark.django_db


def _options(volume):
    return dict(volume)


def test_seed_scale_creates_the_volumes_asked_for(london_councils):
    call_command("seed_scale", **_options(SMALL))

    assert Member.objects.count() == SMALL["members"]
    assert Meeting.objects.count() == SMALL["meetings"]
    assert Registration.objects.count() == SMALL["registrations"]
    assert Session.objects.count() == SMALL["sessions"]
    assert Booking.objects.count() == SMALL["bookings"]
    assert Feedback.objects.count() + FollowUp.objects.count() == SMALL["feedback"]
    assert Resource.objects.count() == SMALL["resources"]
    assert Download.objects.count() == SMALL["downloads"]
    assert Update.objects.count() == SMALL["updates"]


def test_seed_scale_never_overbooks_a_session(london_councils):
    call_command("seed_scale", **_options(SMALL))

    for session in Session.objects.with_counts():
        assert session.confirmed_count <= session.capacity


def test_seed_scale_refuses_to_load_twice(london_councils):
    call_command("seed_scale", **_options(SMALL))
    with pytest.raises(CommandError, match="already loaded"):
        call_command("seed_scale", **_options(SMALL))


def test_no_generated_account_can_sign_in(london_councils):
    call_command("seed_scale", **_options(SMALL))

    assert not any(member.user.has_usable_password() for member in Member.objects.select_related("user"))


def test_seed_scale_loads_a_second_batch_beside_the_first(london_councils):
    # New rows take their keys from the tables' own sequences, so nothing clashes.
    seed(SMALL, prefix="a")
    seed(SMALL, prefix="b")

    assert Member.objects.count() == 2 * SMALL["members"]
    assert Booking.objects.count() == 2 * SMALL["bookings"]
    assert Download.objects.count() == 2 * SMALL["downloads"]
    assert Booking.objects.filter(member__user__email__startswith="b").count() == SMALL["bookings"]


def test_generated_rows_keep_their_links_and_their_members_council_and_role(london_councils):
    seed(SMALL, prefix="s")

    for booking in Booking.objects.select_related("member", "session"):
        assert (booking.council_id, booking.role) == (booking.member.council_id, booking.member.role)
        assert booking.member.status == Member.Status.APPROVED
    for feedback in Feedback.objects.select_related("booking__session"):
        assert feedback.booking.attended == Booking.Attended.YES
        assert feedback.submitted_at > feedback.booking.session.ends_at
    assert set(Download.objects.values_list("user__member__status", flat=True)) == {Member.Status.APPROVED}
    assert all(resource.search_vector for resource in Resource.objects.all()) or connection.vendor != "postgresql"


def test_insert_writes_any_text_and_the_models_defaults(london_councils):
    seeder = Seeder(volume={}, rng=random.Random(1))
    awkward = "Tab\there, new\nline, back\\slash, \\N, \r, Zoë"
    (pk,) = seeder.insert(
        User, ("email", "first_name", "last_name", "date_joined"), [("x@scale.invalid", awkward, "", seeder.now)],
        returning=True,
    )  # fmt: skip

    user = User.objects.get(pk=pk)
    assert (user.first_name, user.last_name, user.date_joined) == (awkward, "", seeder.now)
    assert (user.is_active, user.is_staff, user.last_login) == (True, False, None)


def test_insert_objects_saves_the_instances_and_sets_their_keys(london_councils):
    seeder = Seeder(volume={}, rng=random.Random(1))
    course = Course.objects.create(title="Scale course", slug="scale-course", summary="", trainer="Thrive LDN")
    starts = seeder.now
    sessions = seeder.insert_objects(
        [Session(course=course, starts_at=starts, ends_at=starts + timedelta(hours=n + 1)) for n in range(3)]
    )

    assert [s.pk for s in sessions] == list(Session.objects.order_by("pk").values_list("pk", flat=True))
    assert [s.ends_at for s in Session.objects.order_by("pk")] == [s.ends_at for s in sessions]
    assert all(not s._state.adding for s in sessions)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="keys and indexes are set aside on PostgreSQL only")
def test_seeding_puts_back_every_foreign_key_and_index_as_it_was(london_councils):
    before = _keys_and_indexes()
    seed(SMALL, prefix="s")

    assert _keys_and_indexes() == before


def _keys_and_indexes() -> set:
    # An index's predicate is compared by presence: PostgreSQL prints a re-created
    # one with different (equivalent) casts from the one the migration made.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
               FROM pg_constraint WHERE connamespace = 'public'::regnamespace
               UNION ALL
               SELECT indrelid::regclass::text, indexrelid::regclass::text,
                      concat_ws(' ', indisunique, indkey, indclass, pg_get_expr(indexprs, indrelid), indpred IS NULL),
                      indisvalid
               FROM pg_index JOIN pg_class ON pg_class.oid = indrelid
               WHERE relnamespace = 'public'::regnamespace"""
        )
        return set(cursor.fetchall())
