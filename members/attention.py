"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import register_changelist_count

from .models import ContactEnquiry, Member

register_changelist_count(
    "Members waiting for approval", Member.objects.awaiting_review, query="status__exact=pending&verified=yes"
)
register_changelist_count(
    "New contact enquiries",
    lambda: ContactEnquiry.objects.filter(status=ContactEnquiry.Status.NEW),
    query="status__exact=new",
)
