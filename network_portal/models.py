from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

# The outbox lives in its own package; importing it here lets Django find its model
# under this app (label network_portal, table network_portal_outboxemail).
from .outbox.models import OutboxEmail, OutboxEmailQuerySet  # noqa: F401


class AuditEventQuerySet(models.QuerySet):
    def about_user(self, user_id: int):
        return self.filter(subject_user_id=user_id)

    def by_actor(self, user_id: int):
        return self.filter(actor_id=user_id)


class AuditEvent(models.Model):
    """One occasion on which staff saw or exported personal data.

    Rows are only ever inserted (network_portal.audit.audit_record); the admin
    shows them read-only, so an export cannot be hidden after the fact."""

    class Action(models.TextChoices):
        MEMBER_EXPORT = "member_export", "Members exported (CSV)"
        RESEARCH_EXPORT = "research_export", "Research export downloaded"
        REGISTER_EXPORT = "register_export", "Register exported (CSV)"
        MEMBER_VIEW = "member_view", "Member record viewed in admin"
        OUTBOX_VIEW = "outbox_view", "Outbox email viewed in admin"
        MESSAGE_SEND = "message_send", "Message sent to members"

    # The email is copied so that deleting a staff account keeps its trail readable.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="audit_events"
    )
    actor_email = models.EmailField(max_length=254)
    action = models.CharField(max_length=30, choices=Action.choices)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "audit event"
        constraints = [
            models.CheckConstraint(condition=models.Q(row_count__gte=0), name="audit_row_count_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_email} at {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:network_portal_auditevent_change", args=[self.pk])


class RetentionRun(models.Model):
    """The counts from one run of the retention job (network_portal.retention)."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "retention run"

    def __str__(self):
        total = sum(self.counts.values())
        return f"Retention run {self.started_at:%Y-%m-%d %H:%M}: {total} row(s)"

    def get_absolute_url(self):
        return reverse("admin:network_portal_retentionrun_change", args=[self.pk])


class MfaInvitationQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Not yet used and not expired."""
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


class MfaInvitation(models.Model):
    """A single-use link with which a staff or researcher account sets up its
    authenticator app. Only a hash of the token is stored, so the table (or a
    backup of it) cannot be used to enrol anyone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_invitations")
    token_hash = models.CharField(max_length=64)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = MfaInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "authenticator invitation"
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="mfa_invitation_token_hash_unique"),
            models.CheckConstraint(
                condition=models.Q(created_at__lt=models.F("expires_at")), name="mfa_invitation_expires_after_creation"
            ),
        ]

    def __str__(self):
        return f"Authenticator invitation for {self.user} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("admin:network_portal_mfainvitation_change", args=[self.pk])
