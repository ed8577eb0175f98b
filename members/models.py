from datetime import date

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.urls import reverse
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login. Email is the identity; membership details live on Member."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        # The member changelist and the directory sort by name (bench/README.md).
        indexes = [models.Index(fields=["last_name", "first_name"], name="user_name_order")]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_absolute_url(self):
        return reverse("members:account")


class CouncilQuerySet(models.QuerySet):
    def for_email_domain(self, domain: str):
        """Councils whose published domains include this one (case-insensitive)."""
        domain = domain.lower().strip()
        return [council for council in self if domain in council.domain_list]

    def for_email(self, email: str):
        return self.for_email_domain(email.rpartition("@")[2])

    def with_current_appointments(self):
        """Councils with their current champions and lead officers prefetched."""
        current = Appointment.objects.current().select_related("member__user").order_by("role", "since", "pk")
        return self.prefetch_related(Prefetch("appointments", queryset=current, to_attr="current_appointments"))

    def seat_total(self) -> int:
        """Elected councillor seats across these councils (unknown counts add nothing)."""
        return self.aggregate(total=Sum("councillor_seats"))["total"] or 0

    def with_member_counts(self):
        active = Q(members__user__is_active=True)
        return self.annotate(
            approved_count=Count("members", filter=active & Q(members__status="approved"), distinct=True),
            pending_count=Count("members", filter=active & Q(members__status="pending"), distinct=True),
        )


class Council(models.Model):
    gss_code = models.CharField("GSS code", max_length=9, unique=True)
    name = models.CharField(max_length=100)
    official_name = models.CharField(max_length=200)
    abbr = models.CharField("abbreviation", max_length=3)
    slug = models.SlugField(max_length=100, unique=True)
    email_domains = models.CharField(max_length=500, help_text="The council's email domains, separated by semicolons.")
    grid_col = models.PositiveSmallIntegerField("tile-grid column")
    grid_row = models.PositiveSmallIntegerField("tile-grid row")
    councillor_seats = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Number of elected councillor seats. Leave blank until known."
    )
    # Seat counts change at elections and boundary reviews: the date says which
    # election the count holds from, so staff know when it is due for a check.
    seats_since = models.DateField(
        "seats hold from",
        null=True,
        blank=True,
        help_text="The election from which the seat count holds (for example 5 May 2022).",
    )

    # Research releases generalise a council to its sub-region, then to London.
    subregion = models.CharField(
        "sub-region",
        max_length=50,
        blank=True,
        help_text="The London Plan sub-region (Central, East, North, South or West).",
    )

    objects = CouncilQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["grid_col", "grid_row"], name="council_unique_grid_cell"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("members:council-detail", kwargs={"slug": self.slug})

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(";") if d.strip()]


class MemberQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Member.Status.APPROVED)

    def pending(self):
        return self.filter(status=Member.Status.PENDING)

    def with_verified_email(self):
        from allauth.account.models import EmailAddress

        verified = EmailAddress.objects.filter(user=OuterRef("user"), verified=True)
        return self.annotate(email_verified=Exists(verified))

    def awaiting_review(self):
        """Pending members who verified their email: staff must decide on them."""
        return self.pending().active().with_verified_email().filter(email_verified=True)

    def active(self):
        """Members whose login still works (erased accounts are deactivated)."""
        return self.filter(user__is_active=True)

    def in_directory(self):
        """Approved members who agreed to be listed, ready to render."""
        return (
            self.approved()
            .active()
            .filter(consent_directory=True)
            .select_related("user", "council")
            .prefetch_related("interests")
            .with_champion_flags()
        )

    def with_champion_flags(self):
        current = Appointment.objects.current().filter(member=OuterRef("pk"))
        return self.annotate(
            is_champion=Exists(current.filter(role=Appointment.Role.CHAMPION)),
            is_lead_officer=Exists(current.filter(role=Appointment.Role.LEAD_OFFICER)),
        )

    def search(self, text: str):
        query = Q()
        for word in text.split():
            query &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
        return self.filter(query)


class Topic(models.Model):
    """A service area: members' areas of interest, and the tags of resources and case studies."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('resources:list')}?topic={self.slug}"


class Member(models.Model):
    """Network membership hung on a login: who they are and whether they may take part."""

    class Role(models.TextChoices):
        COUNCILLOR = "councillor", "Councillor"
        OFFICER = "officer", "Council officer"
        PARTNER = "partner", "Health or care partner"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"
        FORMER = "former", "Former councillor"

    # Statuses in which the person no longer has the network's access.
    ENDED_STATUSES = (Status.REJECTED, Status.FORMER)

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="member")
    role = models.CharField(max_length=20, choices=Role.choices)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    organisation = models.CharField(max_length=200, blank=True, help_text="For partners.")
    ward = models.CharField(max_length=200, blank=True, help_text="For councillors.")
    job_title = models.CharField(max_length=200, blank=True, help_text="For officers and partners.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Shown to the member when not approved.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    interests = models.ManyToManyField(Topic, blank=True, related_name="interested_members")
    # Current consents, for cheap filtering. Their full history, with the wording
    # version and timestamps, is kept as ConsentRecord rows.
    consent_directory = models.BooleanField("listed in the members' directory", default=False)
    consent_digest = models.BooleanField("receives the partner-updates digest", default=False)
    consent_research = models.BooleanField("may be contacted for research and evaluation", default=False)
    consent_public = models.BooleanField("named on public pages as a champion or lead officer", default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="partner") | models.Q(council__isnull=False),
                name="member_council_required_unless_partner",
            ),
        ]

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("members:account")

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class ConsentRecord(models.Model):
    """One change to one consent, with the wording the member was shown: the
    audit trail behind Member.consent_* (UK GDPR asks us to prove consent)."""

    class Kind(models.TextChoices):
        DIRECTORY = "directory", "Listed in the members' directory"
        DIGEST = "digest", "Partner-updates digest"
        RESEARCH = "research", "Contact for research and evaluation"
        PUBLIC = "public", "Named on public pages as a champion or lead officer"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consent_records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField()
    wording_version = models.CharField(max_length=40)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["member", "kind", "-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["directory", "digest", "research", "public"]),
                name="consentrecord_known_kind",
            ),
        ]

    def __str__(self):
        verb = "granted" if self.granted else "withdrawn"
        return f"{self.get_kind_display()} {verb} ({self.recorded_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("members:account")


class AppointmentQuerySet(models.QuerySet):
    def current(self, today: date | None = None):
        today = today or timezone.localdate()
        return self.filter(Q(until__isnull=True) | Q(until__gt=today), since__lte=today)


class Appointment(models.Model):
    """A Mental Health Challenge role: a council's elected member champion
    (several allowed) or its lead officer (one at a time), recorded by staff."""

    class Role(models.TextChoices):
        CHAMPION = "champion", "Member champion"
        LEAD_OFFICER = "lead_officer", "Lead officer"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="appointments")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="appointments")
    role = models.CharField(max_length=20, choices=Role.choices)
    since = models.DateField(default=timezone.localdate)
    until = models.DateField(null=True, blank=True, help_text="Leave blank while the role is held.")

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["council__name", "role", "since"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="appointment_until_after_since",
            ),
            models.UniqueConstraint(
                fields=["council"],
                condition=Q(role="lead_officer", until__isnull=True),
                name="appointment_one_open_lead_officer_per_council",
            ),
            models.UniqueConstraint(
                fields=["member", "council", "role"],
                condition=Q(until__isnull=True),
                name="appointment_one_open_role_per_member",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}, {self.council}: {self.member}"

    def get_absolute_url(self):
        return self.council.get_absolute_url()

    def clean(self):
        errors = {}
        member = self.member if self.member_id else None
        if member is not None:
            if self.role == self.Role.CHAMPION and member.role != Member.Role.COUNCILLOR:
                errors["member"] = "Member champions are elected members: choose a councillor."
            if self.role == self.Role.LEAD_OFFICER and member.role != Member.Role.OFFICER:
                errors["member"] = "The lead officer must be a council officer."
            if self.council_id and member.council_id != self.council_id:
                errors["council"] = f"{member} is a member for {member.council}, not this council."
        if errors:
            raise ValidationError(errors)


class DataExport(models.Model):
    """A log line for each "Download my data", as the issue asks."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    exported_at = models.DateTimeField(default=timezone.now)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-exported_at"]

    def __str__(self):
        return f"Data export {self.pk} ({self.exported_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("members:account")


class Reconfirmation(models.Model):
    """One election-cycle question to one councillor: do you still serve?"""

    class Outcome(models.TextChoices):
        WAITING = "waiting", "Waiting for a reply"
        CONFIRMED = "confirmed", "Still serving"
        LEFT = "left", "No longer serving"
        LAPSED = "lapsed", "No reply in time"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reconfirmations")
    requested_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.WAITING, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(outcome="waiting"), name="reconfirmation_one_waiting_per_member"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("requested_at")), name="reconfirmation_deadline_later"
            ),
        ]

    def __str__(self):
        return f"Re-confirmation for {self.member} ({self.get_outcome_display()})"

    def get_absolute_url(self):
        return reverse("admin:members_reconfirmation_change", args=[self.pk])


class ContactEnquiry(models.Model):
    """A message sent through /contact/, kept so staff can track replies."""

    class Role(models.TextChoices):
        COUNCILLOR = "councillor", "Councillor"
        OFFICER = "officer", "Council officer"
        PARTNER = "partner", "Health or care partner"
        OTHER = "other", "Someone else"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ANSWERED = "answered", "Answered"

    name = models.CharField(max_length=200)
    email = models.EmailField()
    council = models.ForeignKey(Council, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiries")
    role = models.CharField(max_length=20, choices=Role.choices)
    message = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "contact enquiries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="new") | Q(answered_at__isnull=False), name="contactenquiry_answered_has_time"
            ),
        ]

    def __str__(self):
        return f"Enquiry from {self.name} ({self.created_at:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("admin:members_contactenquiry_change", args=[self.pk])


class Message(models.Model):
    """An email from staff to an audience of members, written and sent from the admin."""

    class Kind(models.TextChoices):
        NEWS = "news", "News: only to members who agreed to partner updates, with an unsubscribe link"
        ESSENTIAL = "essential", "Essential: about something the person booked or registered for"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    # Audiences of approved members; anything else is a key in members.audiences.
    EVERYONE = "everyone"
    CHOSEN = "members"

    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown: **bold**, *italic*, [links](https://example.org), lists.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    audience = models.CharField(max_length=60, default=EVERYONE)
    audience_object_id = models.PositiveIntegerField(null=True, blank=True)
    councils = models.ManyToManyField(Council, blank=True, related_name="+")
    roles = models.JSONField(default=list, blank=True)
    champions_only = models.BooleanField("only current member champions", default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    recipient_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Essential mail is about a booking or registration, so only for those audiences.
            models.CheckConstraint(
                condition=Q(kind="news") | Q(audience_object_id__isnull=False), name="message_essential_has_booking"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(queued_at__isnull=False), name="message_sending_has_queued_at"
            ),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("admin:members_message_change", args=[self.pk])

    @property
    def is_news(self) -> bool:
        return self.kind == self.Kind.NEWS
