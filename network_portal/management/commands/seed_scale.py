"""Generate network-scale data in bulk, for query budgets, EXPLAIN and load tests.

Every row it creates is labelled: emails end in @scale.invalid and titles start
with "Scale", and no generated account has a usable password. It refuses to
run twice on the same database, because the point is a known volume, not an
ever-growing one.
"""

import random
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from meetings.models import Meeting, Registration
from members.models import Council, Member, User
from resources.models import Download, Organisation, Resource, Topic, Update, Visibility
from training.models import Booking, Course, Feedback, FollowUp, Rating, Session

SCALE_DOMAIN = "scale.invalid"
BATCH = 2000

DEFAULTS = {
    "members": 20_000,
    "meetings": 400,
    "registrations": 15_000,
    "sessions": 2_000,
    "bookings": 40_000,
    "feedback": 20_000,
    "resources": 5_000,
    "downloads": 100_000,
    "updates": 2_000,
}


class Command(BaseCommand):
    help = "Generate labelled data at network scale (defaults: 20,000 members, 40,000 bookings, ...)."

    def add_arguments(self, parser):
        for name, default in DEFAULTS.items():
            parser.add_argument(f"--{name}", type=int, default=default, help=f"How many {name} (default {default}).")
        parser.add_argument("--seed", type=int, default=8, help="Random seed, so runs are repeatable.")

    def handle(self, *args, **options):
        if User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}").exists():
            raise CommandError("Scale data is already loaded in this database; use a fresh database.")
        started = time.monotonic()
        seeder = Seeder(volume={name: options[name] for name in DEFAULTS}, rng=random.Random(options["seed"]))
        with transaction.atomic():
            for step, count in seeder.run():
                self.stdout.write(f"{step:<14} {count:>8,} rows  ({time.monotonic() - started:5.1f}s)")
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner (and EXPLAIN) sees the new volume at once.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Scale data loaded in {time.monotonic() - started:.1f}s."))


class Seeder:
    def __init__(self, *, volume: dict[str, int], rng: random.Random, prefix: str = ""):
        self.volume = volume
        self.rng = rng
        # Lets a test load a second, larger batch beside the first without clashing slugs.
        self.prefix = prefix
        self.now = timezone.now()

    def run(self):
        self.councils = list(Council.objects.order_by("pk"))
        self.topics = list(Topic.objects.order_by("pk"))
        if not self.councils:
            raise CommandError("No councils: run migrations first (they load the London councils).")
        yield "members", self._members()
        yield "meetings", self._meetings()
        yield "registrations", self._registrations()
        yield "sessions", self._sessions()
        yield "bookings", self._bookings()
        yield "feedback", self._feedback()
        yield "resources", self._resources()
        yield "downloads", self._downloads()
        yield "updates", self._updates()

    def _when(self, *, days_back: int, days_ahead: int = 0):
        return self.now + timedelta(days=self.rng.randint(-days_back, days_ahead), hours=self.rng.randint(0, 23))

    def _event_time(self, n: int, *, days_back: int, days_ahead: int):
        # One event in ten is still to come, so even a small volume has something to book.
        if n % 10 == 0:
            when = self.now + timedelta(days=self.rng.randint(2, days_ahead))
        else:
            when = self.now - timedelta(days=self.rng.randint(2, days_back))
        return when.replace(minute=0, second=0, microsecond=0)

    def _members(self) -> int:
        count = self.volume["members"]
        # Nobody can sign in as a generated member; benchmarks make sessions directly (bench/sessions.py).
        password = make_password(None)
        users = [
            User(
                email=f"{self.prefix}member{n}@{SCALE_DOMAIN}",
                first_name=f"Scale{n}",
                last_name="Member",
                password=password,
                date_joined=self._when(days_back=1500),
            )
            for n in range(count)
        ]
        users = User.objects.bulk_create(users, batch_size=BATCH)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=BATCH
        )
        roles = [Member.Role.COUNCILLOR] * 12 + [Member.Role.OFFICER] * 7 + [Member.Role.PARTNER]
        statuses = [Member.Status.APPROVED] * 17 + [Member.Status.PENDING, Member.Status.REJECTED, Member.Status.FORMER]
        members = []
        for user in users:
            role = self.rng.choice(roles)
            members.append(
                Member(
                    user=user,
                    role=role,
                    council=None if role == Member.Role.PARTNER else self.rng.choice(self.councils),
                    organisation="Scale Partner Trust" if role == Member.Role.PARTNER else "",
                    ward="Scale Ward" if role == Member.Role.COUNCILLOR else "",
                    job_title="" if role == Member.Role.COUNCILLOR else "Scale Officer",
                    status=self.rng.choice(statuses),
                    consent_directory=self.rng.random() < 0.6,
                    consent_digest=self.rng.random() < 0.4,
                    consent_research=self.rng.random() < 0.5,
                    created_at=user.date_joined,
                )
            )
        self.members = Member.objects.bulk_create(members, batch_size=BATCH)
        self.approved = [m for m in self.members if m.status == Member.Status.APPROVED]
        return count * 2 + len(members)

    def _meetings(self) -> int:
        meetings = []
        for n in range(self.volume["meetings"]):
            starts = self._event_time(n, days_back=3650, days_ahead=365)
            meetings.append(
                Meeting(
                    title=f"Scale network meeting {self.prefix}{n}",
                    slug=f"{self.prefix}scale-meeting-{n}",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    format=Meeting.Format.HYBRID,
                    venue_name="Scale Hall",
                    venue_address="1 Scale Street, London",
                    joining_url="https://meet.example.org/scale",
                    chair="Scale Chair",
                    summary="A generated meeting for performance testing.",
                    in_person_capacity=60,
                    status=Meeting.Status.DRAFT if n % 20 == 19 else Meeting.Status.PUBLISHED,
                )
            )
        self.meetings = Meeting.objects.bulk_create(meetings, batch_size=BATCH)
        return len(meetings)

    def _registrations(self) -> int:
        users = [m.user_id for m in self.approved]
        rows = []
        per_meeting = self._spread(self.volume["registrations"], len(self.meetings))
        for meeting, count in zip(self.meetings, per_meeting, strict=True):
            for user_id in self.rng.sample(users, min(count, len(users))):
                mode = self.rng.choice(Registration.Mode.values)
                rows.append(
                    Registration(
                        meeting=meeting,
                        user_id=user_id,
                        mode=mode,
                        attendance=Registration.Attendance.ATTENDED
                        if meeting.ends_at < self.now
                        else Registration.Attendance.UNKNOWN,
                        created_at=meeting.starts_at - timedelta(days=self.rng.randint(1, 40)),
                    )
                )
        Registration.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def _sessions(self) -> int:
        courses = [
            Course(
                title=f"Scale course {self.prefix}{n}",
                slug=f"{self.prefix}scale-course-{n}",
                summary="A generated course for performance testing.",
                trainer="Thrive LDN",
            )
            for n in range(6)
        ]
        self.courses = Course.objects.bulk_create(courses)
        sessions = []
        for n in range(self.volume["sessions"]):
            starts = self._event_time(n, days_back=1800, days_ahead=180)
            online = self.rng.random() < 0.3
            sessions.append(
                Session(
                    course=self.rng.choice(self.courses),
                    council=self.rng.choice(self.councils) if self.rng.random() < 0.8 else None,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    mode=Session.Mode.ONLINE if online else Session.Mode.IN_PERSON,
                    joining_url="https://meet.example.org/scale-training" if online else "",
                    venue="" if online else "Scale Civic Centre",
                    capacity=20,
                    status=Session.Status.PUBLISHED,
                )
            )
        self.sessions = Session.objects.bulk_create(sessions, batch_size=BATCH)
        return len(sessions) + len(courses)

    def _bookings(self) -> int:
        rows = []
        per_session = self._spread(self.volume["bookings"], len(self.sessions))
        for session, count in zip(self.sessions, per_session, strict=True):
            past = session.ends_at < self.now
            for position, member in enumerate(self.rng.sample(self.approved, min(count, len(self.approved)))):
                confirmed = position < session.capacity
                rows.append(
                    Booking(
                        session=session,
                        member=member,
                        council_id=member.council_id,
                        role=member.role,
                        status=Booking.Status.CONFIRMED if confirmed else Booking.Status.WAITLISTED,
                        attended=(Booking.Attended.YES if self.rng.random() < 0.85 else Booking.Attended.NO)
                        if confirmed and past
                        else Booking.Attended.UNKNOWN,
                        created_at=session.starts_at - timedelta(days=self.rng.randint(1, 60), minutes=position),
                    )
                )
        self.bookings = Booking.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def _feedback(self) -> int:
        attended = [b for b in self.bookings if b.attended == Booking.Attended.YES]
        self.rng.shuffle(attended)
        wanted = self.volume["feedback"]
        # Two thirds feedback, one third follow-ups, as the brief counts them together.
        n_feedback = min(len(attended), wanted * 2 // 3)
        ratings = [Rating.EXCELLENT] * 5 + [Rating.GOOD] * 4 + [Rating.AVERAGE, Rating.POOR]
        feedback = [
            Feedback(
                booking=booking,
                rating=self.rng.choice(ratings),
                usefulness=self.rng.randint(1, 4),
                confidence_residents_before=self.rng.randint(1, 3),
                confidence_residents_after=self.rng.randint(3, 5),
                confidence_self_before=self.rng.randint(1, 3),
                confidence_self_after=self.rng.randint(3, 5),
                testimonial="Generated testimonial." if self.rng.random() < 0.2 else "",
                testimonial_consent=Feedback.TestimonialConsent.ANONYMOUS,
                submitted_at=booking.session.ends_at + timedelta(hours=3),
            )
            for booking in attended[:n_feedback]
        ]
        Feedback.objects.bulk_create(feedback, batch_size=BATCH)
        follow_ups = []
        for booking in attended[: wanted - n_feedback]:
            influenced = self.rng.random() < 0.3
            follow_ups.append(
                FollowUp(
                    booking=booking,
                    wave=FollowUp.Wave.THREE_MONTHS,
                    raised_in_meeting=self.rng.random() < 0.5,
                    influenced_policy=influenced,
                    policy_area=FollowUp.PolicyArea.HOUSING if influenced else "",
                    became_champion=self.rng.random() < 0.1,
                    changed_own_wellbeing=self.rng.random() < 0.5,
                    would_recommend=FollowUp.Recommend.YES,
                    submitted_at=booking.session.ends_at + timedelta(days=91),
                )
            )
        FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
        return len(feedback) + len(follow_ups)

    def _organisations(self) -> list[Organisation]:
        Organisation.objects.bulk_create(
            [Organisation(name=f"Scale Partner {n}", slug=f"scale-partner-{n}") for n in range(20)],
            ignore_conflicts=True,
        )
        return list(Organisation.objects.filter(slug__startswith="scale-partner-").order_by("pk"))

    def _resources(self) -> int:
        self.organisations = self._organisations()
        words = ["housing", "loneliness", "debt", "schools", "suicide", "prevention", "parks", "workforce", "youth"]
        resources = []
        for n in range(self.volume["resources"]):
            topic_words = " ".join(self.rng.sample(words, 3))
            resources.append(
                Resource(
                    title=f"Scale resource {self.prefix}{n} on {topic_words}",
                    slug=f"{self.prefix}scale-resource-{n}",
                    summary=f"A generated guide about {topic_words} for councils.",
                    body=f"Generated body text about {topic_words}.",
                    kind=self.rng.choice([k for k in Resource.Kind.values if k != Resource.Kind.CASE_STUDY]),
                    source=self.rng.choice(self.organisations),
                    url=f"https://example.org/scale/{n}",
                    visibility=self.rng.choice(Visibility.values),
                    status=Resource.Status.PUBLISHED,
                    published_at=self._when(days_back=2000),
                )
            )
        self.resources = Resource.objects.bulk_create(resources, batch_size=BATCH)
        through = Resource.topics.through
        links = [
            through(resource_id=r.pk, topic_id=t.pk)
            for r in self.resources
            for t in self.rng.sample(self.topics, min(2, len(self.topics)))
        ]
        through.objects.bulk_create(links, batch_size=BATCH)
        return len(resources) + len(links)

    def _downloads(self) -> int:
        users = [m.user_id for m in self.approved]
        total = self.volume["downloads"]
        for start in range(0, total, BATCH * 5):
            Download.objects.bulk_create(
                [
                    Download(
                        resource=self.rng.choice(self.resources),
                        user_id=self.rng.choice(users),
                        downloaded_at=self._when(days_back=1500),
                    )
                    for _ in range(min(BATCH * 5, total - start))
                ],
                batch_size=BATCH,
            )
        return total

    def _updates(self) -> int:
        updates = [
            Update(
                title=f"Scale partner update {self.prefix}{n}",
                slug=f"{self.prefix}scale-update-{n}",
                body="Generated partner news for performance testing.",
                organisation=self.rng.choice(self.organisations),
                visibility=self.rng.choice(Visibility.values),
                status=Update.Status.PUBLISHED,
                published_at=self._when(days_back=2000),
            )
            for n in range(self.volume["updates"])
        ]
        Update.objects.bulk_create(updates, batch_size=BATCH)
        return len(updates)

    def _spread(self, total: int, buckets: int) -> list[int]:
        """Split total across buckets as evenly as integers allow."""
        if buckets == 0:
            return []
        base, extra = divmod(total, buckets)
        return [base + (1 if i < extra else 0) for i in range(buckets)]
