from django.contrib import admin, messages

from . import audit
from .admin_site import ReadOnlyAdmin
from .models import AuditEvent, MfaInvitation, OutboxEmail, RetentionRun
from .outbox import services

# What a credential-carrying email keeps in view: who, what about, and when.
_CONTENT_FIELDS = ("body_text", "body_html", "attachments", "headers")


@admin.register(OutboxEmail)
class OutboxEmailAdmin(audit.AuditedChangeViewMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "lane"]
    search_fields = ["to_email", "subject", "dedupe_key"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["retry"]
    # Every look at an outbox row is logged, whoever it is about.
    audit_action = audit.Action.OUTBOX_VIEW

    def has_add_permission(self, request):
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.sensitive:
            # A reset or signed link would let whoever reads it act as the
            # member: no one sees these bodies, superusers included.
            fields = [name for name in fields if name not in _CONTENT_FIELDS]
        return fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name == "network_portal_outboxemail_changelist":
            # A page of 100 rows would otherwise load every body and attachment.
            queryset = queryset.defer("body_text", "body_html", "attachments", "headers")
        return queryset

    @admin.action(description="Retry the selected failed emails")
    def retry(self, request, queryset):
        count = services.outbox_retry(email_ids=list(queryset.values_list("pk", flat=True)))
        ignored = queryset.count() - count
        self.message_user(request, f"{count} failed email(s) queued again.", messages.SUCCESS)
        if ignored:
            # Only failed rows are retried: a sent one would go out twice.
            self.message_user(request, f"{ignored} selected email(s) had not failed and were left as they were.")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_email", "action", "subject_user", "row_count", "detail"]
    list_filter = ["action"]
    search_fields = ["actor_email", "detail", "subject_user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["subject_user"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "__str__"]


@admin.register(MfaInvitation)
class MfaInvitationAdmin(ReadOnlyAdmin):
    """Who was invited to set up an authenticator app, by whom, and whether it
    was used. New ones are sent by granting the role on the user's page."""

    list_display = ["user", "invited_by", "created_at", "expires_at", "used_at"]
    search_fields = ["user__email"]
    list_select_related = ["user", "invited_by"]
    fields = ["user", "invited_by", "created_at", "expires_at", "used_at"]
