"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from datetime import timedelta

from network_portal.seeding import Seeder, SeedStep, seed_steps

from .models import Meeting, Registration


def _meetings(seeder: Seeder) -> int:
    meetings = []
    for n in range(seeder.volume["meetings"]):
        starts = seeder.event_time(n, days_back=3650, days_ahead=365)
        meetings.append(
            Meeting(
                title=f"Scale network meeting {seeder.prefix}{n}",
                slug=f"{seeder.prefix}scale-meeting-{n}",
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
    seeder.meetings = seeder.insert_objects(meetings)
    return len(meetings)


def _registrations(seeder: Seeder) -> int:
    users = [m.user_id for m in seeder.approved]
    modes = Registration.Mode.values
    rows = []
    per_meeting = seeder.spread(seeder.volume["registrations"], len(seeder.meetings))
    for meeting, count in zip(seeder.meetings, per_meeting, strict=True):
        attendance = (
            Registration.Attendance.ATTENDED if meeting.ends_at < seeder.now else Registration.Attendance.UNKNOWN
        )
        for user_id in seeder.rng.sample(users, min(count, len(users))):
            mode = seeder.rng.choice(modes)
            created_at = meeting.starts_at - timedelta(days=seeder.rng.randint(1, 40))
            rows.append((meeting.pk, user_id, mode, attendance, created_at))
    seeder.insert(Registration, ("meeting_id", "user_id", "mode", "attendance", "created_at"), rows)
    return len(rows)


seed_steps.register(SeedStep(name="meetings", default=400, run=_meetings))
seed_steps.register(SeedStep(name="registrations", default=15_000, run=_registrations))
