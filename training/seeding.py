"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from datetime import timedelta

from network_portal.seeding import BATCH, Seeder, SeedStep, seed_steps

from .models import Booking, Course, Feedback, FollowUp, Rating, Session


def _sessions(seeder: Seeder) -> int:
    courses = [
        Course(
            title=f"Scale course {seeder.prefix}{n}",
            slug=f"{seeder.prefix}scale-course-{n}",
            summary="A generated course for performance testing.",
            trainer="Thrive LDN",
        )
        for n in range(6)
    ]
    seeder.courses = Course.objects.bulk_create(courses)
    sessions = []
    for n in range(seeder.volume["sessions"]):
        starts = seeder.event_time(n, days_back=1800, days_ahead=180)
        online = seeder.rng.random() < 0.3
        sessions.append(
            Session(
                course=seeder.rng.choice(seeder.courses),
                council=seeder.rng.choice(seeder.councils) if seeder.rng.random() < 0.8 else None,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                mode=Session.Mode.ONLINE if online else Session.Mode.IN_PERSON,
                joining_url="https://meet.example.org/scale-training" if online else "",
                venue="" if online else "Scale Civic Centre",
                capacity=20,
                status=Session.Status.PUBLISHED,
            )
        )
    seeder.sessions = Session.objects.bulk_create(sessions, batch_size=BATCH)
    return len(sessions) + len(courses)


def _bookings(seeder: Seeder) -> int:
    rows = []
    per_session = seeder.spread(seeder.volume["bookings"], len(seeder.sessions))
    for session, count in zip(seeder.sessions, per_session, strict=True):
        past = session.ends_at < seeder.now
        for position, member in enumerate(seeder.rng.sample(seeder.approved, min(count, len(seeder.approved)))):
            confirmed = position < session.capacity
            rows.append(
                Booking.of_member(
                    session=session,
                    member=member,
                    status=Booking.Status.CONFIRMED if confirmed else Booking.Status.WAITLISTED,
                    attended=(Booking.Attended.YES if seeder.rng.random() < 0.85 else Booking.Attended.NO)
                    if confirmed and past
                    else Booking.Attended.UNKNOWN,
                    created_at=session.starts_at - timedelta(days=seeder.rng.randint(1, 60), minutes=position),
                )
            )
    seeder.bookings = Booking.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _feedback(seeder: Seeder) -> int:
    attended = [b for b in seeder.bookings if b.attended == Booking.Attended.YES]
    seeder.rng.shuffle(attended)
    wanted = seeder.volume["feedback"]
    # Two thirds feedback, one third follow-ups, as the brief counts them together.
    n_feedback = min(len(attended), wanted * 2 // 3)
    ratings = [Rating.EXCELLENT] * 5 + [Rating.GOOD] * 4 + [Rating.AVERAGE, Rating.POOR]
    feedback = [
        Feedback(
            booking=booking,
            rating=seeder.rng.choice(ratings),
            usefulness=seeder.rng.randint(1, 4),
            confidence_residents_before=seeder.rng.randint(1, 3),
            confidence_residents_after=seeder.rng.randint(3, 5),
            confidence_self_before=seeder.rng.randint(1, 3),
            confidence_self_after=seeder.rng.randint(3, 5),
            testimonial="Generated testimonial." if seeder.rng.random() < 0.2 else "",
            testimonial_consent=Feedback.TestimonialConsent.ANONYMOUS,
            submitted_at=booking.session.ends_at + timedelta(hours=3),
        )
        for booking in attended[:n_feedback]
    ]
    for row in feedback:
        # Generated testimonials count as approved, so public pages show a realistic load.
        row.testimonial_approved_at = row.submitted_at if row.testimonial else None
    Feedback.objects.bulk_create(feedback, batch_size=BATCH)
    follow_ups = []
    for booking in attended[: wanted - n_feedback]:
        influenced = seeder.rng.random() < 0.3
        follow_ups.append(
            FollowUp(
                booking=booking,
                wave=FollowUp.Wave.THREE_MONTHS,
                raised_in_meeting=seeder.rng.random() < 0.5,
                influenced_policy=influenced,
                policy_area=FollowUp.PolicyArea.HOUSING if influenced else "",
                became_champion=seeder.rng.random() < 0.1,
                changed_own_wellbeing=seeder.rng.random() < 0.5,
                would_recommend=FollowUp.Recommend.YES,
                submitted_at=booking.session.ends_at + timedelta(days=91),
            )
        )
    FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
    return len(feedback) + len(follow_ups)


seed_steps.register(SeedStep(name="sessions", default=2_000, run=_sessions))
seed_steps.register(SeedStep(name="bookings", default=40_000, run=_bookings))
seed_steps.register(SeedStep(name="feedback", default=20_000, run=_feedback))
