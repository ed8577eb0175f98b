"""Staff messages to everyone registered for a meeting (members.audiences)."""

from datetime import timedelta

from django.utils import timezone

from members import audiences
from members.models import Member

from .models import Meeting, Registration

RECENT = timedelta(days=60)
REGISTERED = (Registration.Status.REGISTERED, Registration.Status.WAITLISTED)


def _options() -> list[tuple[int, str]]:
    meetings = Meeting.objects.visible().filter(ends_at__gte=timezone.now() - RECENT).order_by("starts_at", "pk")
    return [(meeting.pk, f"{meeting.title}, {timezone.localtime(meeting.starts_at):%-d %b %Y}") for meeting in meetings]


def _members(meeting_id: int):
    registered = Registration.objects.filter(meeting_id=meeting_id, status__in=REGISTERED)
    return Member.objects.filter(user_id__in=registered.values("user_id"))


def _describe(meeting_id: int) -> str:
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    return f"registered or waiting for {meeting.title}" if meeting else f"a deleted meeting ({meeting_id})"


audiences.register(
    audiences.Audience(
        key="meetings.meeting",
        label="Registered for a meeting (including the in-person waiting list)",
        options=_options,
        members=_members,
        describe=_describe,
    )
)
