"""The outbox table: one row per email, the source of truth for delivery."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class OutboxEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=OutboxEmail.Status.PENDING, not_before__lte=now or timezone.now())

    def lease_expired(self, now):
        """Claimed by a worker that stopped renewing its lease: crashed or cut off.
        A row claimed before leases existed counts from its claim time."""
        lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        return self.filter(status=OutboxEmail.Status.SENDING).filter(
            models.Q(lease_expires_at__lt=now) | models.Q(lease_expires_at__isnull=True, claimed_at__lt=now - lease)
        )

    def backlog(self, now=None):
        """Due and not yet handed to SMTP (waiting, or being sent)."""
        return self.filter(
            status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING], not_before__lte=now or timezone.now()
        )

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

    REDACTED = "[Removed once sent: this email carried a link that acts for its recipient.]"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Recorded but deliberately never sent (a reminder whose moment passed).
        SKIPPED = "skipped", "Skipped"

    class Lane(models.TextChoices):
        # Its own Celery queue each: bulk sending never holds up a password reset.
        ACCOUNT = "account", "Account and transactional"
        BULK = "bulk", "Bulk"

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
    lane = models.CharField(max_length=10, choices=Lane.choices, default=Lane.ACCOUNT)
    # Carries a credential (a reset, verification, invitation or signed link
    # that acts for the recipient): staff never see the body, and it is
    # replaced by REDACTED once the row is sent or has finally failed.
    sensitive = models.BooleanField(default=False)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField(default=timezone.now)
    # Set when a worker claims the row; it identifies that claim, so a worker
    # whose claim was taken over changes nothing.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The claiming worker renews this while it is alive; once it passes, the
    # sweep hands the row back to the queue.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEmailQuerySet.as_manager()

    class Meta:
        # Kept under the ground-floor app, so its table (network_portal_outboxemail)
        # and migrations stay as they were.
        app_label = "network_portal"
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
