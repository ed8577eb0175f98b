"""Bookings anonymised by the retention job: no one is named, every figure stays."""

import csv
import importlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from network_portal.retention import retention_run
from tests.factories import MemberFactory, UserFactory
from training import reports, services
from training.models import Booking, Feedback
from training.templatetags.training import council_coverage

from .factories import BookingFactory, FeedbackFactory, FollowUpFactory, SessionFactory, past_session

pytestmark = pytest.mark.django_db


def _after_retention():
    """The moment the retention period has passed for every session in the fixture."""
    return timezone.now() + timedelta(days=settings.RETENTION_BOOKING_DAYS + 30)


def _anonymise_everything_past():
    with time_machine.travel(_after_retention(), tick=False):
        return retention_run()


def _anonymise_up_to(session):
    """Run the job on the day retention catches up with this session, not later ones."""
    with time_machine.travel(session.ends_at + timedelta(days=settings.RETENTION_BOOKING_DAYS, minutes=1), tick=False):
        return retention_run()


def _figures(councils):
    # Drop the cached coverage map so each call really counts the rows.
    cache.clear()
    by_session = [(session.pk, vars(row)) for session, row in reports.ratings_by_session()]
    headline, confidence = reports.feedback_summary()
    return {
        "coverage": [
            (row.council.pk, row.councillors_trained, row.sessions_delivered) for row in reports.council_coverage()
        ],
        "panels": [council_coverage(council)["row"].councillors_trained for council in councils],
        "by_course": [vars(row) for row in reports.ratings_by_course()],
        "by_session": by_session,
        "turnout": reports.turnout_by_council(),
        "followups": reports.followup_outcomes(),
        "headline": (headline.n, headline.positive, headline.percent),
        "confidence": [vars(row) for row in confidence],
    }


def test_booking_keeps_the_council_and_role_the_member_had_when_booking(london_councils):
    camden, hackney = london_councils.get(name="Camden"), london_councils.get(name="Hackney")
    member = MemberFactory(council=camden, role=Member.Role.COUNCILLOR)
    booking = services.booking_create(member=member, session=SessionFactory())
    member.council, member.role = hackney, Member.Role.OFFICER
    member.save()
    booking.refresh_from_db()
    assert (booking.council, booking.role) == (camden, Member.Role.COUNCILLOR)


def test_figures_are_the_same_before_and_after_bookings_are_anonymised(london_councils):
    camden, hackney = london_councils.get(name="Camden"), london_councils.get(name="Hackney")
    first, second = past_session(council=camden, days_ago=40), past_session(council=hackney, days_ago=10)
    for council, session in ((camden, first), (camden, first), (hackney, second), (camden, second)):
        FeedbackFactory(
            booking=BookingFactory(
                session=session, member=MemberFactory(council=council), attended=Booking.Attended.YES
            ),
            rating="good" if council == camden else "poor",
        )
    FollowUpFactory(booking=Feedback.objects.first().booking)
    officer = MemberFactory(council=camden, role=Member.Role.OFFICER)
    BookingFactory(session=first, member=officer, attended=Booking.Attended.YES)
    BookingFactory(session=first, member=MemberFactory(council=hackney), attended=Booking.Attended.NO)
    partner = MemberFactory(council=None, role=Member.Role.PARTNER, organisation="NHS Trust")
    BookingFactory(session=second, member=partner, attended=Booking.Attended.YES)
    # A councillor who has since moved council still counts where they were.
    moved = BookingFactory(session=second, member=MemberFactory(council=camden), attended=Booking.Attended.YES)
    Member.objects.filter(pk=moved.member_id).update(council=hackney)
    twice = MemberFactory(council=camden)
    for session in (first, second):
        BookingFactory(session=session, member=twice, attended=Booking.Attended.YES)
    councils = [camden, hackney]
    before = _figures(councils)

    # First only the older session's bookings, then the rest.
    assert _anonymise_up_to(first).counts["bookings_anonymised"] == first.bookings.count()
    assert _figures(councils) == before
    run = _anonymise_everything_past()

    total = Booking.objects.count()
    assert run.counts["bookings_anonymised"] == second.bookings.count()
    assert Booking.objects.filter(member=None, booked_by=None, anonymised_at__isnull=False).count() == total
    assert _figures(councils) == before
    # The figures are not all zero: the fixture really is counted.
    assert dict((pk, n) for pk, n, _ in before["coverage"])[camden.pk] == 5


def test_a_councillor_trained_three_times_counts_once_at_every_stage_of_anonymisation(london_councils):
    camden = london_councils.get(name="Camden")
    member = MemberFactory(council=camden)
    sessions = [past_session(council=camden, days_ago=days_ago) for days_ago in (90, 60, 30)]
    for session in sessions:
        BookingFactory(session=session, member=member, attended=Booking.Attended.YES)

    def trained():
        cache.clear()
        panel = council_coverage(camden)["row"].councillors_trained
        assert {row.council.pk: row.councillors_trained for row in reports.council_coverage()}[camden.pk] == panel
        return panel

    assert trained() == 1
    for done, session in enumerate(sessions, start=1):
        _anonymise_up_to(session)
        assert Booking.objects.filter(member=None).count() == done
        assert trained() == 1
    assert Booking.objects.filter(counted_as_trainee=True).count() == 1


def test_anonymised_bookings_show_as_anonymised_in_admin_and_the_register(client, london_councils):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    camden = london_councils.get(name="Camden")
    session = past_session(council=camden)
    member = MemberFactory(council=camden)
    booking = BookingFactory(session=session, member=member, attended="yes")
    named = BookingFactory(session=session, member=MemberFactory(council=camden), attended="yes")
    Booking.objects.filter(pk=booking.pk).update(member=None, anonymised_at=timezone.now())

    changelist = client.get(reverse("admin:training_booking_changelist")).content.decode()
    assert "Anonymised" in changelist and member.user.email not in changelist
    inline = client.get(reverse("admin:training_session_change", args=[session.pk])).content.decode()
    assert "Anonymised" in inline
    assert client.get(reverse("admin:training_booking_change", args=[booking.pk])).status_code == 200
    response = client.post(
        reverse("admin:training_session_changelist"), {"action": "export_register", "_selected_action": [session.pk]}
    )
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows.keys() == {"Anonymised", named.member.user.get_full_name()}
    assert rows["Anonymised"]["Email"] == ""
    assert (rows["Anonymised"]["Council"], rows["Anonymised"]["Role"]) == ("Camden", "Councillor")


def test_my_training_does_not_list_anonymised_bookings(client, london_councils):
    member = MemberFactory()
    old = BookingFactory(session=past_session(days_ago=900), member=member, attended="yes")
    recent = BookingFactory(session=past_session(days_ago=30), member=member, attended="yes")
    with time_machine.travel(old.session.ends_at + timedelta(days=settings.RETENTION_BOOKING_DAYS + 1), tick=False):
        retention_run()
    old.refresh_from_db()
    assert old.member is None
    client.force_login(member.user)
    content = client.get(reverse("members:account")).content.decode()
    assert reverse("training:feedback", args=[recent.pk]) in content
    assert reverse("training:feedback", args=[old.pk]) not in content


def test_a_named_testimonial_loses_its_name_when_the_booking_is_anonymised(london_councils):
    camden = london_councils.get(name="Camden")
    member = MemberFactory(council=camden)
    feedback = FeedbackFactory(
        booking=BookingFactory(session=past_session(), member=member, attended="yes"),
        testimonial="It helped.",
        testimonial_consent="named",
    )
    Booking.objects.filter(pk=feedback.booking_id).update(member=None, anonymised_at=timezone.now())
    feedback = Feedback.objects.select_related("booking__council").get(pk=feedback.pk)
    html = render_to_string("training/_testimonials.html", {"testimonials": [feedback]})
    assert "A trainee from Camden" in html
    assert member.user.get_full_name() not in html


def test_migration_fills_the_snapshots_of_existing_bookings(london_councils):
    from django.apps import apps

    migration = importlib.import_module("training.migrations.0004_booking_anonymisation")
    camden = london_councils.get(name="Camden")
    councillor = BookingFactory(member=MemberFactory(council=camden))
    partner = BookingFactory(member=MemberFactory(council=None, role=Member.Role.PARTNER, organisation="NHS Trust"))
    # Rows as they stood before the migration: no snapshots yet.
    Booking.objects.update(council=None, role="")

    migration.snapshot_council_and_role(apps, None)

    councillor.refresh_from_db()
    partner.refresh_from_db()
    assert (councillor.council, councillor.role) == (camden, Member.Role.COUNCILLOR)
    assert (partner.council, partner.role) == (None, Member.Role.PARTNER)


@pytest.mark.parametrize("older_session_rated_last", [False, True])
def test_headline_counts_a_trainee_once_by_latest_rating_through_anonymisation(
    london_councils, older_session_rated_last
):
    member = MemberFactory(council=london_councils.get(name="Camden"))
    older, newer = past_session(days_ago=90), past_session(days_ago=30)
    ratings = {older: "excellent", newer: "poor"}
    submitted = {older: newer.ends_at + timedelta(days=1), newer: newer.ends_at + timedelta(hours=3)}
    if not older_session_rated_last:
        submitted = {older: older.ends_at + timedelta(hours=3), newer: newer.ends_at + timedelta(hours=3)}
    for session in (older, newer):
        booking = BookingFactory(session=session, member=member, attended=Booking.Attended.YES)
        FeedbackFactory(booking=booking, rating=ratings[session], submitted_at=submitted[session])
    FeedbackFactory(rating="good")
    latest_positive = 2 if older_session_rated_last else 1  # the other trainee's Good, plus this one's latest

    def headline():
        cache.clear()
        figure = Feedback.objects.headline()
        return figure.n, figure.positive

    assert headline() == (2, latest_positive)
    _anonymise_up_to(older)
    assert Booking.objects.filter(session=older, member=None).exists()
    assert headline() == (2, latest_positive)
    _anonymise_everything_past()
    assert Booking.objects.filter(member__isnull=False).count() == 0
    assert headline() == (2, latest_positive)
