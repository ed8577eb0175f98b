"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import AdminCount, register

from .models import CaseStudy, Update

register(
    AdminCount(
        label="Case studies to moderate",
        urlname="admin:resources_casestudy_changelist",
        query="status__exact=submitted",
        count=lambda: CaseStudy.objects.awaiting_review().count(),
    )
)
register(
    AdminCount(
        label="Partner updates waiting for approval",
        urlname="admin:resources_update_changelist",
        query="status__exact=submitted",
        count=lambda: Update.objects.awaiting_approval().count(),
    )
)
