from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class OutboxEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=OutboxEmail.Status.PENDING, not_before__lte=now or timezone.now())

    def stuck(self, older_than):
        return self.filter(status=OutboxEmail.Status.SENDING, claimed_at__lt=older_than)

    def failed(self):
        return self.filter(status=OutboxEmail.Status.FAILED)

    def waiting(self):
        """Not yet handed to SMTP: queued, or waiting for a retry."""
        return self.filter(status=OutboxEmail.Status.PENDING)

    def finished_before(self, cutoff):
        """Rows with nothing left to do (sent or skipped) older than cutoff."""
        return self.filter(
            models.Q(status=OutboxEmail.Status.SENT, sent_at__lt=cutoff)
            | models.Q(status=OutboxEmail.Status.SKIPPED, created_at__lt=cutoff)
        )


class OutboxEmail(models.Model):
    """One email to one recipient. PostgreSQL is the source of truth; the
    broker only carries a wake-up call for the send task."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Recorded but deliberately never sent (a reminder whose moment passed).
        SKIPPED = "skipped", "Skipped"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    to_email = models.EmailField(max_length=254)
    reply_to = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "mimetype": ..., "content": <base64>}]
    attachments = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=50, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbox email"
        indexes = [
            models.Index(fields=["status", "not_before"], name="outbox_status_not_before"),
            models.Index(fields=["status", "sent_at"], name="outbox_status_sent_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_email} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("admin:network_portal_outboxemail_change", args=[self.pk])


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
