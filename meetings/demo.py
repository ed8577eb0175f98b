"""Demo meetings for `seed_demo`. Idempotent: meetings are found by slug.

Every title ends "(demo)" and every summary says the meeting is made up. The
chair is the role the network's real meetings have: the Centre for Mental
Health's Chief Executive, named by role, not by a person."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from members.models import Member
from network_portal import caching
from network_portal.ics import LONDON

from . import services
from .models import Action, Meeting, Registration

CHAIR = "Chief Executive, Centre for Mental Health"
VENUE = ("London Councils (demo venue)", "59½ Southwark Street\nLondon SE1 0AL")
DEMO_NOTE = "*Demo content: this meeting is made up for the demonstration.*"
AGENDA = """1. Welcome and introductions (chair)
2. Actions from the last meeting
3. Partner update: mental health support in primary care
4. Sharing learning: two boroughs on their mental health champions
5. Any other business"""


def seed(stdout) -> None:
    with transaction.atomic():
        today = timezone.localdate()
        past = _meeting("network-meeting-past-demo", "Quarterly network meeting (demo)", today - timedelta(weeks=9))
        upcoming = _meeting("network-meeting-next-demo", "Quarterly network meeting (demo)", today + timedelta(weeks=4))
        draft = _meeting(
            "network-meeting-later-demo", "Quarterly network meeting (demo)", today + timedelta(weeks=17), publish=False
        )
        _past_record(past)
        registered = _register_demo_members(upcoming)
    stdout.write(
        f"meetings: 3 demo meetings ({past.slug}, {upcoming.slug}, draft {draft.slug}); "
        f"{registered} demo registration(s) for the next one."
    )


def _meeting(slug: str, title: str, day, publish: bool = True) -> Meeting:
    existing = Meeting.objects.filter(slug=slug).first()
    if existing:
        return existing
    starts = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=18), LONDON)
    meeting = services.meeting_save(
        meeting=Meeting(
            slug=slug,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            format=Meeting.Format.HYBRID,
            venue_name=VENUE[0],
            venue_address=VENUE[1],
            joining_url="https://meet.example.org/demo-network-meeting",
            joining_notes="Demo meeting: this link does not lead anywhere.",
            chair=CHAIR,
            in_person_capacity=30,
            summary=f"The network's quarterly meeting for councillors and officers across London.\n\n{DEMO_NOTE}",
            agenda=AGENDA,
        )
    )
    if publish:
        services.meeting_publish(meeting_id=meeting.pk)
        meeting.refresh_from_db()
    return meeting


def _past_record(meeting: Meeting) -> None:
    if meeting.minutes_published:
        return
    meeting.minutes = (
        "The chair welcomed members. Two boroughs shared how their mental health champions work with "
        f"ward councillors. Members agreed the actions below.\n\n{DEMO_NOTE}"
    )
    meeting.save(update_fields=["minutes"])
    Action.objects.get_or_create(
        meeting=meeting,
        description="Share the champions' role description with every borough (demo action).",
        defaults={"owner_text": "Thrive LDN", "due_on": timezone.localdate() + timedelta(weeks=2)},
    )
    Action.objects.get_or_create(
        meeting=meeting,
        description="Bring a short paper on housing and mental health to the next meeting (demo action).",
        defaults={"owner_text": "London Councils", "due_on": timezone.localdate() + timedelta(weeks=3)},
    )
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=meeting.ends_at + timedelta(days=3))
    caching.bump(caching.MY_MEETINGS)  # "minutes published" on My account; a bulk update sends no post_save


def _register_demo_members(meeting: Meeting) -> int:
    # Only the demo members seed_demo created, never a real person who happens to be in the database.
    members = Member.objects.approved().filter(user__email__endswith="@example.org").select_related("user")[:6]
    count = 0
    for index, member in enumerate(members):
        if Registration.objects.filter(meeting=meeting, user=member.user).exists():
            continue
        mode = Registration.Mode.IN_PERSON if index % 2 == 0 else Registration.Mode.ONLINE
        services.registration_create(meeting_id=meeting.pk, user=member.user, mode=mode)
        count += 1
    return count
