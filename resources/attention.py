"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import register_changelist_count

from .models import CaseStudy, Update

register_changelist_count(
    "Case studies to moderate", CaseStudy.objects.awaiting_review, query="status__exact=submitted"
)
register_changelist_count(
    "Partner updates waiting for approval", Update.objects.awaiting_approval, query="status__exact=submitted"
)
