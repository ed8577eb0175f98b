"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import AdminCount, register

from .models import Action, Meeting

register(
    AdminCount(
        label="Meetings waiting for minutes",
        urlname="admin:meetings_meeting_changelist",
        query="minutes=waiting",
        count=lambda: Meeting.objects.awaiting_minutes().count(),
    )
)
register(
    AdminCount(
        label="Meeting actions overdue",
        urlname="admin:meetings_action_changelist",
        query="due=overdue",
        count=lambda: Action.objects.overdue().count(),
    )
)
