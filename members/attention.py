"""What needs staff attention in this app, counted on the admin index."""

from network_portal.admin_counts import AdminCount, register

from .models import ContactEnquiry, Member

register(
    AdminCount(
        label="Members waiting for approval",
        urlname="admin:members_member_changelist",
        query="status__exact=pending&verified=yes",
        count=lambda: Member.objects.awaiting_review().count(),
    )
)
register(
    AdminCount(
        label="New contact enquiries",
        urlname="admin:members_contactenquiry_changelist",
        query="status__exact=new",
        count=lambda: ContactEnquiry.objects.filter(status=ContactEnquiry.Status.NEW).count(),
    )
)
