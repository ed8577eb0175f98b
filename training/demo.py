"""Demo training for `seed_demo`. Idempotent: nothing is added when the demo
course exists. Every title, venue and testimonial says it is demo content, and
the feedback comes from the members app's demo people ("(demo)" surnames)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from members.models import Council, Member
from network_portal.ics import LONDON

from . import services
from .models import Booking, Course, Session

SLUG = "mental-health-wellbeing-training-demo"
DESCRIPTION = """*Demo content: this course description is made up for the demonstration.*

A two-hour session for councillors on the part councils play in London's mental health:
what affects it, how to spot when a resident or colleague is struggling, where to point them,
and how to look after your own wellbeing in a demanding role."""
OUTCOMES = """Understand what shapes mental health in a borough, and the council's part in it
Recognise signs of distress and signpost residents to support
Use your role to put mental health into council decisions
Look after your own wellbeing as a councillor"""
# (council slug or None for pan-London, weeks from today, online?)
UPCOMING = [("lewisham", 3, False), (None, 5, True), ("islington", 8, False)]
PAST = [("camden", -10), ("hackney", -6)]
RATINGS = ["excellent", "good", "excellent", "average"]


def seed(stdout) -> None:
    if Course.objects.filter(slug=SLUG).exists():
        stdout.write("training: demo course already present.")
        return
    with transaction.atomic():
        course = Course.objects.create(
            slug=SLUG,
            title="Mental Health and Wellbeing Training for Councillors (demo)",
            summary="A two-hour session on mental health and wellbeing for councillors (demo course).",
            description=DESCRIPTION,
            trainer="Thrive LDN (demo)",
            duration_minutes=120,
            audience=Course.Audience.COUNCILLORS,
            learning_outcomes=OUTCOMES,
        )
        for slug, weeks, online in UPCOMING:
            _session(course, slug, weeks, online=online)
        feedback = sum(_past_session_with_feedback(course, slug, weeks) for slug, weeks in PAST)
    stdout.write(
        f"training: 1 demo course, {len(UPCOMING)} upcoming and {len(PAST)} past demo sessions, "
        f"{feedback} demo feedback response(s)."
    )


def _session(course, council_slug, weeks, *, online=False) -> Session:
    day = timezone.localdate() + timedelta(weeks=weeks)
    starts = datetime.combine(day, datetime.min.time()).replace(hour=18, tzinfo=LONDON)
    council = Council.objects.get(slug=council_slug) if council_slug else None
    session = Session(
        course=course,
        council=council,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        mode=Session.Mode.ONLINE if online else Session.Mode.IN_PERSON,
        venue="" if online else f"Council chamber, {council.name if council else 'London'} (demo venue)",
        joining_url="https://meet.example.org/demo-training" if online else "",
        capacity=20,
        booking_deadline=starts - timedelta(days=2),
        status=Session.Status.PUBLISHED,
    )
    services.session_save(session=session)
    return session


def _past_session_with_feedback(course, council_slug, weeks) -> int:
    session = _session(course, council_slug, weeks)
    trainees = Member.objects.approved().filter(user__last_name__endswith="(demo)").select_related("user")
    count = 0
    for index, member in enumerate(trainees):
        # History is written directly: the booking service rightly refuses past sessions.
        booking = Booking.of_member(
            session=session,
            member=member,
            status=Booking.Status.CONFIRMED,
            attended=Booking.Attended.YES,
            created_at=session.starts_at - timedelta(days=14),
        )
        booking.save(force_insert=True)
        feedback = services.feedback_submit(
            booking=booking,
            answers={
                "rating": RATINGS[index % len(RATINGS)],
                "usefulness": 4 - index % 2,
                "confidence_residents_before": 2,
                "confidence_residents_after": 4,
                "confidence_self_before": 2 + index % 2,
                "confidence_self_after": 4,
                "testimonial": "Demo testimonial: practical, kind and clear about where to point residents."
                if index == 0
                else "",
                "testimonial_consent": "anonymous" if index == 0 else "no",
                "research_consent": False,
            },
            now=session.ends_at + timedelta(hours=3),
        )
        # Demo content is approved as it is seeded, so the public pages show how a testimonial looks.
        approved_at = session.ends_at + timedelta(days=1)
        services.testimonial_approve(feedback_ids=[feedback.pk], approved_by=None, now=approved_at)
        count += 1
    return count
