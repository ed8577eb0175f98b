from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
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

    def __str__(self):
        return self.get_full_name() or self.email

    def get_absolute_url(self):
        return reverse("members:account")


class CouncilQuerySet(models.QuerySet):
    def for_email_domain(self, domain: str):
        """Councils whose published domains include this one (case-insensitive)."""
        domain = domain.lower().strip()
        return [council for council in self if domain in council.domain_list]


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
        null=True, blank=True, help_text="Number of councillor seats. Leave blank until known."
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

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="member")
    role = models.CharField(max_length=20, choices=Role.choices)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    organisation = models.CharField(max_length=200, blank=True, help_text="For partners.")
    ward = models.CharField(max_length=200, blank=True, help_text="For councillors.")
    job_title = models.CharField(max_length=200, blank=True, help_text="For officers and partners.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Shown to the member when not approved.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    interests = models.ManyToManyField("resources.Topic", blank=True, related_name="interested_members")
    # Current consents, for cheap filtering. Their full history, with the wording
    # version and timestamps, is kept as ConsentRecord rows.
    consent_directory = models.BooleanField("listed in the members' directory", default=False)
    consent_digest = models.BooleanField("receives the partner-updates digest", default=False)
    consent_research = models.BooleanField("may be contacted for research and evaluation", default=False)
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
