"""What needs staff attention in this app, counted on the admin index."""

from .admin_counts import AdminCount, AdminCountGroup, register
from .outbox import services


def _outbox_count(label: str, figure: str, query: str = "", show=int) -> AdminCount:
    return AdminCount(
        label=label,
        urlname="admin:network_portal_outboxemail_changelist",
        query=query,
        count=lambda figures: show(figures[figure]),
    )


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


# One query for all four figures (the admin index has a query budget).
register(
    AdminCountGroup(
        label="Email outbox",
        figures=services.outbox_attention,
        items=(
            _outbox_count("Emails delayed beyond their lease", "delayed"),
            _outbox_count("Emails that failed to send", "failed", "status__exact=failed"),
            _outbox_count("Emails waiting to send", "waiting", "status__exact=pending"),
            _outbox_count("Oldest email waiting to send", "oldest_pending_seconds", "status__exact=pending", _age),
        ),
    )
)
