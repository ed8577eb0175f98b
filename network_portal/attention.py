"""What needs staff attention in this app, counted on the admin index."""

from .admin_counts import AdminCount, register
from .models import OutboxEmail

register(
    AdminCount(
        label="Emails that failed to send",
        urlname="admin:network_portal_outboxemail_changelist",
        query="status__exact=failed",
        count=lambda: OutboxEmail.objects.failed().count(),
    )
)
register(
    AdminCount(
        label="Emails waiting to send",
        urlname="admin:network_portal_outboxemail_changelist",
        query="status__exact=pending",
        count=lambda: OutboxEmail.objects.waiting().count(),
    )
)
