"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import AdminCount, register

from .models import Session

register(
    AdminCount(
        label="Training sessions with attendance to mark",
        urlname="admin:training_session_changelist",
        query="attendance=to-mark",
        count=lambda: Session.objects.needing_attendance().count(),
    )
)
