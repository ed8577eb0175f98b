"""Staff messages to everyone booked on a session (members.audiences)."""

from datetime import timedelta

from django.utils import timezone

from members import audiences
from members.models import Member

from .models import Booking, Session

# Sessions staff may write about: coming up, or ended recently (follow-up notes).
RECENT = timedelta(days=60)
BOOKED = (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)


def _options() -> list[tuple[int, str]]:
    sessions = Session.objects.listed().filter(ends_at__gte=timezone.now() - RECENT).select_related("course", "council")
    return [(session.pk, str(session)) for session in sessions.order_by("starts_at", "pk")]


def _members(session_id: int):
    booked = Booking.objects.filter(session_id=session_id, status__in=BOOKED)
    return Member.objects.filter(pk__in=booked.values("member_id"))


def _describe(session_id: int) -> str:
    session = Session.objects.select_related("course", "council").filter(pk=session_id).first()
    return f"booked or waiting for {session}" if session else f"a deleted session ({session_id})"


audiences.register(
    audiences.Audience(
        key="training.session",
        label="Booked on a training session (confirmed and waiting list)",
        options=_options,
        members=_members,
        describe=_describe,
    )
)
