"""Meetings' side of the door register (network_portal.door_register): who is
on a meeting's register, who could walk in, and today's meetings."""

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from members.models import Member
from network_portal import door_register

from .models import Meeting, Registration

STATES = {
    Registration.Attendance.ATTENDED: door_register.ATTENDED,
    Registration.Attendance.ABSENT: door_register.NO_SHOW,
    Registration.Attendance.UNKNOWN: door_register.UNKNOWN,
}
ATTENDANCE_VALUES = {
    door_register.ATTENDED: Registration.Attendance.ATTENDED,
    door_register.NO_SHOW: Registration.Attendance.ABSENT,
}


def describe(member: Member | None, mode_label: str = "") -> str:
    parts = [mode_label]
    if member is not None:
        parts += [member.get_role_display(), member.council.name if member.council_id else member.organisation]
    return ", ".join(part for part in parts if part)


def people(meeting: Meeting) -> list[door_register.Person]:
    registrations = meeting.registrations.registered().select_related("user__member__council")
    rows = [
        door_register.Person(
            pk=registration.pk,
            name=str(registration.user),
            detail=describe(getattr(registration.user, "member", None), registration.get_mode_display()),
            state=STATES[registration.attendance],
        )
        for registration in registrations
    ]
    return sorted(rows, key=lambda row: row.name.lower())


def candidates(meeting: Meeting, query: str) -> list[door_register.Candidate]:
    if not query:
        return []
    on_register = meeting.registrations.registered().values("user_id")
    found = (
        Member.objects.approved().active().search(query).exclude(user_id__in=on_register)
        .select_related("user", "council")[: door_register.MAX_WALK_IN_MATCHES]
    )  # fmt: skip
    return [door_register.Candidate(pk=member.pk, name=str(member), detail=describe(member)) for member in found]


def today(day: date) -> list[door_register.TodayEvent]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    meetings = Meeting.objects.published().filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
    return [
        door_register.TodayEvent(label=meeting.title, url=reverse("meetings:door-register", args=[meeting.slug]))
        for meeting in meetings
    ]


door_register.register_source(today)
