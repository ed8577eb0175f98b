"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import register_changelist_count

from .models import Session

register_changelist_count(
    "Training sessions with attendance to mark", Session.objects.needing_attendance, query="attendance=to-mark"
)
