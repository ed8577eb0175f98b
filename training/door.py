"""Training's side of the door register (network_portal.door_register): who is
on a session's register, who could walk in, and today's sessions."""

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from members.models import Member
from network_portal import door_register

from .models import Booking, Session

STATES = {
    Booking.Attended.YES: door_register.ATTENDED,
    Booking.Attended.NO: door_register.NO_SHOW,
    Booking.Attended.UNKNOWN: door_register.UNKNOWN,
}
ATTENDED_VALUES = {door_register.ATTENDED: Booking.Attended.YES, door_register.NO_SHOW: Booking.Attended.NO}


def describe(member: Member | None) -> str:
    if member is None:
        return ""
    place = member.council.name if member.council_id else member.organisation
    return ", ".join(part for part in (member.get_role_display(), place) if part)


def people(session: Session) -> list[door_register.Person]:
    bookings = session.bookings.confirmed().filter(member__isnull=False)
    bookings = bookings.select_related("member__user", "member__council")
    rows = [
        door_register.Person(
            pk=booking.pk, name=str(booking.member), detail=describe(booking.member), state=STATES[booking.attended]
        )
        for booking in bookings
    ]
    return sorted(rows, key=lambda row: row.name.lower())


def candidates(session: Session, query: str) -> list[door_register.Candidate]:
    if not query:
        return []
    on_register = session.bookings.confirmed().filter(member__isnull=False).values("member_id")
    found = (
        Member.objects.approved().active().search(query).exclude(pk__in=on_register)
        .select_related("user", "council")[: door_register.MAX_WALK_IN_MATCHES]
    )  # fmt: skip
    return [door_register.Candidate(pk=member.pk, name=str(member), detail=describe(member)) for member in found]


def today(day: date) -> list[door_register.TodayEvent]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    sessions = (
        Session.objects.going_ahead().filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        .select_related("course", "council")
    )  # fmt: skip
    return [
        door_register.TodayEvent(label=str(session), url=reverse("training:door-register", args=[session.pk]))
        for session in sessions
    ]


door_register.register_source(today)
