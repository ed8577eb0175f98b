"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from datetime import timedelta

from network_portal.seeding import Seeder, SeedStep, seed_steps

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
    seeder.sessions = seeder.insert_objects(sessions)
    return len(sessions) + len(courses)


def _bookings(seeder: Seeder) -> int:
    rows, attended = [], []
    per_session = seeder.spread(seeder.volume["bookings"], len(seeder.sessions))
    for session, count in zip(seeder.sessions, per_session, strict=True):
        past = session.ends_at < seeder.now
        for position, member in enumerate(seeder.rng.sample(seeder.approved, min(count, len(seeder.approved)))):
            confirmed = position < session.capacity
            went = (
                (Booking.Attended.YES if seeder.rng.random() < 0.85 else Booking.Attended.NO)
                if confirmed and past
                else Booking.Attended.UNKNOWN
            )
            created_at = session.starts_at - timedelta(days=seeder.rng.randint(1, 60), minutes=position)
            # A booking records the member's council and role as they were (Booking.of_member).
            status = Booking.Status.CONFIRMED if confirmed else Booking.Status.WAITLISTED
            rows.append((session.pk, member.member_id, member.council_id, member.role, status, went, created_at))
            if went == Booking.Attended.YES:
                attended.append((len(rows) - 1, session.ends_at))
    fields = ("session_id", "member_id", "council_id", "role", "status", "attended", "created_at")
    ids = seeder.insert(Booking, fields, rows, returning=True)
    # What feedback needs of each attended booking, in booking order.
    seeder.attended = [(ids[n], ends_at) for n, ends_at in attended]
    return len(rows)


def _feedback(seeder: Seeder) -> int:
    attended = list(seeder.attended)
    seeder.rng.shuffle(attended)
    wanted = seeder.volume["feedback"]
    # Two thirds feedback, one third follow-ups, as the brief counts them together.
    n_feedback = min(len(attended), wanted * 2 // 3)
    ratings = [Rating.EXCELLENT] * 5 + [Rating.GOOD] * 4 + [Rating.AVERAGE, Rating.POOR]
    rows = []
    for booking_id, ends_at in attended[:n_feedback]:
        rating, usefulness = seeder.rng.choice(ratings), seeder.rng.randint(1, 4)
        scores = [seeder.rng.randint(low, high) for low, high in ((1, 3), (3, 5), (1, 3), (3, 5))]
        testimonial = "Generated testimonial." if seeder.rng.random() < 0.2 else ""
        submitted_at = ends_at + timedelta(hours=3)
        # Generated testimonials count as approved, so public pages show a realistic load.
        approved_at = submitted_at if testimonial else None
        rows.append((booking_id, rating, usefulness, *scores, testimonial, approved_at, submitted_at))
    fields = ("booking_id", "rating", "usefulness", "confidence_residents_before", "confidence_residents_after",
              "confidence_self_before", "confidence_self_after", "testimonial", "testimonial_approved_at",
              "submitted_at")  # fmt: skip
    consent = Feedback.TestimonialConsent.ANONYMOUS
    seeder.insert(Feedback, (*fields, "testimonial_consent"), (row + (consent,) for row in rows))
    follow_ups = []
    for booking_id, ends_at in attended[: wanted - n_feedback]:
        influenced = seeder.rng.random() < 0.3
        follow_ups.append(
            (
                booking_id,
                FollowUp.Wave.THREE_MONTHS,
                seeder.rng.random() < 0.5,
                influenced,
                FollowUp.PolicyArea.HOUSING if influenced else "",
                seeder.rng.random() < 0.1,
                seeder.rng.random() < 0.5,
                FollowUp.Recommend.YES,
                ends_at + timedelta(days=91),
            )
        )
    fields = ("booking_id", "wave", "raised_in_meeting", "influenced_policy", "policy_area", "became_champion",
              "changed_own_wellbeing", "would_recommend", "submitted_at")  # fmt: skip
    seeder.insert(FollowUp, fields, follow_ups)
    return len(rows) + len(follow_ups)


seed_steps.register(SeedStep(name="sessions", default=2_000, run=_sessions))
seed_steps.register(SeedStep(name="bookings", default=40_000, run=_bookings))
seed_steps.register(SeedStep(name="feedback", default=20_000, run=_feedback))
