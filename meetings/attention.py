"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import register_changelist_count

from .models import Action, Meeting

register_changelist_count("Meetings waiting for minutes", Meeting.objects.awaiting_minutes, query="minutes=waiting")
register_changelist_count("Meeting actions overdue", Action.objects.overdue, query="due=overdue")
