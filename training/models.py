import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from network_portal.uploads import PrivateFileField


class Course(models.Model):
    class Audience(models.TextChoices):
        COUNCILLORS = "councillors", "Councillors"
        OFFICERS = "officers", "Council officers"
        BOTH = "both", "Councillors and officers"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, help_text="One or two sentences for the course list.")
    description = models.TextField(blank=True, help_text="Markdown.")
    trainer = models.CharField(max_length=200, help_text="Who delivers it, e.g. Thrive LDN.")
    duration_minutes = models.PositiveSmallIntegerField("duration (minutes)", default=120)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.COUNCILLORS)
    learning_outcomes = models.TextField(blank=True, help_text="One outcome per line.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="course_duration_positive"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:course-detail", kwargs={"slug": self.slug})

    def admits(self, role: str) -> bool:
        """Whether a member with this role is in the course's audience."""
        return role in AUDIENCE_ROLES[self.audience]

    @property
    def outcome_list(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.learning_outcomes.splitlines() if line.strip(" -*\t")]

    @property
    def duration_label(self) -> str:
        return duration_label(self.duration_minutes)


def duration_label(total_minutes: int) -> str:
    """Say 150 minutes as "2 hours 30 minutes"."""
    hours, minutes = divmod(total_minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minutes")
    return " ".join(parts)


# Who each audience admits. Health and care partners are in none: staff may
# still book one onto a course, with a recorded reason.
AUDIENCE_ROLES = {
    Course.Audience.COUNCILLORS: {Member.Role.COUNCILLOR},
    Course.Audience.OFFICERS: {Member.Role.OFFICER},
    Course.Audience.BOTH: {Member.Role.COUNCILLOR, Member.Role.OFFICER},
}


def audiences_admitting(role: str) -> list[str]:
    return [audience for audience, roles in AUDIENCE_ROLES.items() if role in roles]


class SessionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Session.Status.PUBLISHED)

    def listed(self):
        """Sessions the public can see: published, closed or cancelled, never drafts."""
        return self.exclude(status=Session.Status.DRAFT)

    def going_ahead(self):
        """Published or closed to new bookings: it will take place."""
        return self.filter(status__in=[Session.Status.PUBLISHED, Session.Status.CLOSED])

    def upcoming(self, now=None):
        return self.listed().filter(starts_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def first_start(self):
        return self.aggregate(first=models.Min("starts_at"))["first"]

    def past(self, now=None):
        return self.listed().filter(ends_at__lte=now or timezone.now())

    def delivered(self, now=None):
        return self.past(now).exclude(status=Session.Status.CANCELLED)

    def with_counts(self):
        """Annotate confirmed, waitlisted and seats_left, in the same query."""
        return self.annotate(
            confirmed_count=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
            waitlist_count=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
        ).annotate(seats_left=Greatest(F("capacity") - F("confirmed_count"), 0))

    def needing_attendance(self, now=None):
        """Finished sessions with confirmed bookings whose attendance nobody has marked."""
        return (
            self.past(now)
            .filter(bookings__status=Booking.Status.CONFIRMED, bookings__attended=Booking.Attended.UNKNOWN)
            .distinct()
        )


class Session(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (not shown)"
        PUBLISHED = "published", "Open for booking"
        CLOSED = "closed", "Bookings closed"
        CANCELLED = "cancelled", "Cancelled"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"

    # Fields that, when staff change them, mean everyone booked must be told.
    CHANGE_FIELDS = ("starts_at", "ends_at", "mode", "venue", "joining_url")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    council = models.ForeignKey(
        "members.Council",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
        help_text="The council it is delivered for. Leave blank for a pan-London session.",
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    venue = models.CharField(max_length=300, blank=True, help_text="Address, for in-person sessions.")
    joining_url = models.URLField(
        "joining link", max_length=500, blank=True, help_text="Online sessions only. Shown only to booked members."
    )
    capacity = models.PositiveIntegerField(default=20)
    booking_deadline = models.DateTimeField(
        null=True, blank=True, help_text="Bookings close at this time. Leave blank to close when the session starts."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    cancellation_reason = models.TextField(
        blank=True, help_text="Set by the cancel action; booked members read it in their email and on My training."
    )
    # Bumped when the time or place changes, so calendar apps replace their copy.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # When staff last changed the time or place: reminders due before it are not sent.
    rescheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_starts_before_ends"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="session_capacity_not_negative"),
            models.CheckConstraint(
                condition=Q(booking_deadline__isnull=True) | Q(booking_deadline__lte=F("starts_at")),
                name="session_deadline_not_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(mode="online") | ~Q(joining_url=""), name="session_online_has_joining_url"
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.course.title}, {self.place_label}, {local:%-d %b %Y %H:%M}"

    def get_absolute_url(self):
        return reverse("training:session-detail", kwargs={"pk": self.pk})

    @property
    def place_label(self) -> str:
        return self.council.name if self.council_id else "Pan-London"

    @property
    def bookings_close_at(self):
        return self.booking_deadline or self.starts_at

    @property
    def is_online(self) -> bool:
        return self.mode == self.Mode.ONLINE


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status__in=Booking.CANCELLED_STATUSES)

    def confirmed(self):
        return self.filter(status=Booking.Status.CONFIRMED)

    def waitlisted(self):
        return self.filter(status=Booking.Status.WAITLISTED)

    def in_queue_order(self):
        # First come, first served: the row written first under the session lock.
        return self.order_by("created_at", "pk")

    def attended(self):
        return self.filter(status=Booking.Status.CONFIRMED, attended=Booking.Attended.YES)

    def for_member(self, member):
        return self.filter(member=member)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"
        # The organisers cancelled the session: not the member's own choice.
        ORGANISER_CANCELLED = "organiser_cancelled", "Cancelled by the organiser"

    CANCELLED_STATUSES = (Status.CANCELLED, Status.ORGANISER_CANCELLED)

    class Attended(models.TextChoices):
        UNKNOWN = "unknown", "Not recorded"
        YES = "yes", "Attended"
        NO = "no", "Did not attend"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    # PROTECT: bookings are evidence. Erasing an account anonymises the member
    # instead; the retention job empties it once the session is old enough.
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="training_bookings"
    )
    # Snapshots taken at booking time, so coverage and turnout still count a
    # booking by council and role after the member link is gone.
    council = models.ForeignKey(
        "members.Council", on_delete=models.PROTECT, null=True, blank=True, related_name="training_bookings"
    )
    role = models.CharField(max_length=20, choices=Member.Role.choices, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Once anonymised, one booking per person (and council and role) stands in
    # for them, so "people trained" counts them once, not once per session.
    counted_as_trainee = models.BooleanField(default=False, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    attended = models.CharField(max_length=10, choices=Attended.choices, default=Attended.UNKNOWN)
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff who booked on the member's behalf.",
    )
    audience_override_reason = models.TextField(
        blank=True, help_text="Why staff booked a member outside the course's audience."
    )

    # A booking's record, which staff read and erasure keeps so counts stay true.
    RECORD_FIELDS = (
        "council",
        "role",
        "status",
        "attended",
        "created_at",
        "promoted_at",
        "cancelled_at",
        "booked_by",
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"],
                condition=~Q(status__in=["cancelled", "organiser_cancelled"]),
                name="booking_one_active_per_member_session",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["cancelled", "organiser_cancelled"], cancelled_at__isnull=False)
                | (~Q(status__in=["cancelled", "organiser_cancelled"]) & Q(cancelled_at__isnull=True)),
                name="booking_cancelled_iff_cancelled_at",
            ),
            models.CheckConstraint(
                condition=Q(attended="unknown") | Q(status="confirmed"), name="booking_attendance_only_if_confirmed"
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "created_at"], name="booking_session_queue"),
            # The bookings changelist pages through all bookings in this order (bench/README.md).
            models.Index(fields=["created_at", "id"], name="booking_created_order"),
        ]

    def __str__(self):
        return f"{self.member or 'Anonymised'} – {self.session} ({self.get_status_display()})"

    def get_absolute_url(self):
        return self.session.get_absolute_url()

    @classmethod
    def of_member(cls, *, session, member, **fields) -> "Booking":
        """An unsaved booking of member on session, recording their council and
        role as they are now, so the figures keep them when the member moves."""
        return cls(session=session, member=member, council_id=member.council_id, role=member.role, **fields)

    @property
    def is_active(self) -> bool:
        return self.status not in self.CANCELLED_STATUSES


class Rating(models.TextChoices):
    EXCELLENT = "excellent", "Excellent"
    GOOD = "good", "Good"
    AVERAGE = "average", "Average"
    POOR = "poor", "Poor"
    VERY_POOR = "very_poor", "Very poor"


POSITIVE_RATINGS = (Rating.EXCELLENT, Rating.GOOD)


class Usefulness(models.IntegerChoices):
    VERY = 4, "Very useful"
    QUITE = 3, "Quite useful"
    A_LITTLE = 2, "A little useful"
    NOT = 1, "Not useful"


class Confidence(models.IntegerChoices):
    VERY_LOW = 1, "1 – not at all confident"
    LOW = 2, "2"
    MIDDLE = 3, "3"
    HIGH = 4, "4"
    VERY_HIGH = 5, "5 – very confident"


def _in_range(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


@dataclass(frozen=True)
class Headline:
    """The share of trainees who rated the training Excellent or Good, each
    trainee counted once, by their latest rating."""

    n: int
    positive: int

    @property
    def percent(self) -> int | None:
        if not self.n:
            return None
        # Round half up, as people expect (Python's round() goes to even).
        return (200 * self.positive + self.n) // (2 * self.n)


class FeedbackQuerySet(models.QuerySet):
    def latest_per_trainee(self):
        """Each trainee's latest feedback only: one row per person who gave any.

        A row counts unless the same member gave feedback later. Anonymised
        bookings no longer say whose they were, so the retention job marks a
        person's earlier feedback superseded before it empties the links."""
        same_time_later_row = Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk"))
        later = Feedback.objects.filter(booking__member=OuterRef("booking__member")).filter(
            Q(submitted_at__gt=OuterRef("submitted_at")) | same_time_later_row
        )
        return self.filter(superseded=False).exclude(Exists(later))

    def headline(self) -> Headline:
        totals = self.latest_per_trainee().aggregate(
            n=Count("pk"), positive=Count("pk", filter=Q(rating__in=POSITIVE_RATINGS))
        )
        return Headline(n=totals["n"], positive=totals["positive"])

    def offered_testimonials(self):
        """Testimonials the member currently offers for publication (approved or not)."""
        return self.exclude(testimonial="").exclude(testimonial_consent=Feedback.TestimonialConsent.DO_NOT_PUBLISH)

    def publishable_testimonials(self):
        """Offered with consent, approved by staff and neither hidden nor withdrawn since."""
        return self.offered_testimonials().filter(testimonial_hidden=False, testimonial_approved_at__isnull=False)


class Feedback(models.Model):
    class TestimonialConsent(models.TextChoices):
        DO_NOT_PUBLISH = "no", "Do not publish it"
        NAMED = "named", "Publish with my name and council"
        COUNCIL = "council", "Publish with my council only"
        ANONYMOUS = "anonymous", "Publish anonymously"

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="feedback")
    rating = models.CharField("overall rating", max_length=10, choices=Rating.choices)
    usefulness = models.PositiveSmallIntegerField("usefulness for your role", choices=Usefulness.choices)
    confidence_residents_before = models.PositiveSmallIntegerField(choices=Confidence.choices)
    confidence_residents_after = models.PositiveSmallIntegerField(choices=Confidence.choices)
    confidence_self_before = models.PositiveSmallIntegerField(choices=Confidence.choices)
    confidence_self_after = models.PositiveSmallIntegerField(choices=Confidence.choices)
    will_do_differently = models.TextField("what you will do differently", blank=True)
    testimonial = models.TextField(blank=True)
    testimonial_consent = models.CharField(
        max_length=10, choices=TestimonialConsent.choices, default=TestimonialConsent.DO_NOT_PUBLISH
    )
    research_consent = models.BooleanField("the evaluators may use my written answers", default=False)
    testimonial_hidden = models.BooleanField(default=False, help_text="Staff hid this testimonial from public pages.")
    # Nothing a member writes is shown publicly until staff approve it.
    testimonial_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    testimonial_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    testimonial_withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the booking is anonymised and the same person gave later feedback:
    # the headline then still counts each trainee's latest rating once.
    superseded = models.BooleanField(default=False, editable=False)
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = "feedback"
        indexes = [
            # /training/ shows the latest publishable testimonials: a few rows of many.
            models.Index(
                F("submitted_at").desc(),
                condition=Q(testimonial_hidden=False, testimonial_approved_at__isnull=False)
                & ~Q(testimonial="")
                & ~Q(testimonial_consent="no"),
                name="feedback_testimonial_published",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__in=Rating.values), name="feedback_rating_on_scale"),
            models.CheckConstraint(
                condition=Q(testimonial_approved_at__isnull=True) | ~Q(testimonial_consent="no"),
                name="feedback_approved_testimonial_has_consent",
            ),
            models.CheckConstraint(condition=_in_range("usefulness", 1, 4), name="feedback_usefulness_on_scale"),
            *[
                models.CheckConstraint(condition=_in_range(field, 1, 5), name=f"feedback_{field}_1_to_5")
                for field in (
                    "confidence_residents_before",
                    "confidence_residents_after",
                    "confidence_self_before",
                    "confidence_self_after",
                )
            ],
        ]

    def __str__(self):
        return f"Feedback on {self.booking.session}: {self.get_rating_display()}"

    def get_absolute_url(self):
        return reverse("admin:training_feedback_change", args=[self.pk])

    @property
    def testimonial_offered(self) -> bool:
        return bool(self.testimonial) and self.testimonial_consent != self.TestimonialConsent.DO_NOT_PUBLISH


# The scores a feedback form asks for: kept on erasure, exported to evaluators.
FEEDBACK_SCORES = (
    "rating",
    "usefulness",
    "confidence_residents_before",
    "confidence_residents_after",
    "confidence_self_before",
    "confidence_self_after",
)
# Everything a member answers on the feedback form.
FEEDBACK_ANSWERS = (*FEEDBACK_SCORES, "will_do_differently", "testimonial", "testimonial_consent", "research_consent")


class FollowUp(models.Model):
    class Wave(models.TextChoices):
        THREE_MONTHS = "3m", "3 months"
        SIX_MONTHS = "6m", "6 months"

    class PolicyArea(models.TextChoices):
        SOCIAL_CARE = "social_care", "Social care"
        HOUSING = "housing", "Housing"
        ENVIRONMENT = "environment", "Environment"
        EDUCATION = "education", "Education"
        EMPLOYMENT = "employment", "Employment"
        LEISURE = "leisure", "Leisure"
        PUBLIC_HEALTH = "public_health", "Public health"
        OTHER = "other", "Other"

    class Recommend(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_SURE = "not_sure", "Not sure"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="follow_ups")
    wave = models.CharField(max_length=2, choices=Wave.choices)
    raised_in_meeting = models.BooleanField("raised mental health in a council meeting")
    influenced_policy = models.BooleanField("proposed or influenced a policy or decision")
    policy_area = models.CharField("service area", max_length=20, choices=PolicyArea.choices, blank=True)
    policy_description = models.TextField(blank=True)
    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    became_champion = models.BooleanField("became a mental health champion")
    changed_own_wellbeing = models.BooleanField("changed how they look after their own wellbeing")
    would_recommend = models.CharField(max_length=10, choices=Recommend.choices)
    research_consent = models.BooleanField("the evaluators may use my written answers", default=False)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = "follow-up"
        constraints = [
            models.UniqueConstraint(fields=["booking", "wave"], name="followup_one_per_booking_wave"),
            models.CheckConstraint(
                condition=Q(influenced_policy=False) | ~Q(policy_area=""), name="followup_policy_has_area"
            ),
        ]

    def __str__(self):
        return f"{self.get_wave_display()} follow-up on {self.booking.session}"

    def get_absolute_url(self):
        return reverse("admin:training_followup_change", args=[self.pk])


# A follow-up's evidence of change: exported to evaluators, and, but for the
# member's own words, kept on erasure.
FOLLOWUP_EVIDENCE = (
    "raised_in_meeting",
    "influenced_policy",
    "policy_area",
    "policy_description",
    "evidence_url",
    "became_champion",
    "changed_own_wellbeing",
    "would_recommend",
)
FOLLOWUP_OWN_WORDS = ("policy_description", "evidence_url")
# Everything a member answers on the follow-up form.
FOLLOWUP_ANSWERS = (*FOLLOWUP_EVIDENCE, "research_consent")


def _new_key_salt() -> str:
    return secrets.token_hex(32)


class ResearchProjectQuerySet(models.QuerySet):
    def for_researcher(self, user):
        return self.filter(researchers=user)


class ResearchProject(models.Model):
    """An evaluation under a data-sharing agreement: who may download, until when, at what k.

    Each project has its own pseudonyms, so two projects' files cannot be
    joined on them. The database holds only a random salt; the pseudonym key is
    derived from it with the server's secret (research.project_key), so a copy
    of the database alone cannot recompute anyone's pseudonym."""

    name = models.CharField(max_length=200)
    evaluator_organisation = models.CharField(max_length=200)
    purpose = models.TextField(help_text="What the data-sharing agreement allows the data to be used for.")
    agreement_signed_on = models.DateField("data-sharing agreement signed on")
    expires_on = models.DateField(help_text="No downloads after this date.")
    k = models.PositiveSmallIntegerField(
        "minimum cell size (k)",
        default=5,
        help_text="Every released combination of council, role, session council, course and date is shared by "
        "at least this many people.",
    )
    researchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="research_projects")
    key_salt = models.CharField(max_length=64, default=_new_key_salt, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ResearchProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-agreement_signed_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(k__gte=2), name="researchproject_k_at_least_2"),
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("agreement_signed_on")), name="researchproject_expires_after_agreement"
            ),
            models.UniqueConstraint(fields=["key_salt"], name="researchproject_unique_key_salt"),
        ]

    def __str__(self):
        return f"{self.name} ({self.evaluator_organisation})"

    def get_absolute_url(self):
        return reverse("training:research")

    def has_expired(self, today=None) -> bool:
        return (today or timezone.localdate()) > self.expires_on


class ResearchExportLog(models.Model):
    """Who downloaded the evaluators' export, and when. Never deleted through admin."""

    class Kind(models.TextChoices):
        PARTICIPANTS = "participants", "Participants"
        BREAKDOWN = "breakdown", "Council by role breakdown"
        PACKAGE = "package", "Data package"

    project = models.ForeignKey(
        ResearchProject, on_delete=models.PROTECT, null=True, blank=True, related_name="export_logs"
    )
    filters = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    row_count = models.PositiveIntegerField()
    downloaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-downloaded_at"]
        permissions = [("export_research", "Can download the evaluators' research export")]

    def __str__(self):
        return f"{self.get_kind_display()} export by {self.user} at {self.downloaded_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:training_researchexportlog_change", args=[self.pk])


class CommitmentQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Commitment.Status.VERIFIED)


class Commitment(models.Model):
    """A council's commitment or policy change, with its evidence: the outcome
    the training exists for. Councils are public bodies, so verified entries are
    public; who reported one is kept for staff only."""

    class Kind(models.TextChoices):
        MOTION = "motion", "Mental health motion or Challenge signed"
        CHAMPION = "champion", "Member champion appointed"
        LEAD_OFFICER = "lead_officer", "Lead officer named"
        CONCORDAT = "concordat", "Prevention Concordat for Better Mental Health signed"
        STRATEGY = "strategy", "Strategy or action plan adopted"
        POLICY_CHANGE = "policy_change", "Policy or service change"

    class Source(models.TextChoices):
        STAFF = "staff", "Thrive LDN staff"
        CHAMPION = "champion", "The council's member champion"
        LEAD_OFFICER = "lead_officer", "The council's lead officer"
        FOLLOWUP = "followup", "A trainee's follow-up answer"

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        VERIFIED = "verified", "Verified by staff"

    council = models.ForeignKey("members.Council", on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField("entry type", max_length=20, choices=Kind.choices)
    service_area = models.CharField(
        max_length=20, choices=FollowUp.PolicyArea.choices, blank=True, help_text="For policy or service changes."
    )
    summary = models.CharField(max_length=300, help_text="What the council did, in a sentence.")
    happened_on = models.DateField("date")
    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    # Written only through services.commitment_report/commitment_save, which check the
    # upload and delete the file it replaces; evidence_file_name is the name offered on download.
    evidence_file = PrivateFileField("evidence document", folder="commitments", editable=False)
    evidence_file_name = models.CharField(max_length=200, blank=True, editable=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    followup = models.ForeignKey(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="commitments",
        help_text="The trainee's follow-up answer this came from, if any.",
    )  # fmt: skip
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REPORTED, db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(evidence_url="") | ~Q(evidence_file=""), name="commitment_has_evidence"
            ),
            models.CheckConstraint(
                condition=~Q(kind="policy_change") | ~Q(service_area=""), name="commitment_policy_change_has_area"
            ),
            models.CheckConstraint(
                condition=Q(status="reported") | Q(verified_at__isnull=False), name="commitment_verified_has_time"
            ),
        ]
        indexes = [models.Index(fields=["council", "status", "happened_on"], name="commitment_council_timeline")]

    def __str__(self):
        return f"{self.council}: {self.get_kind_display()} ({self.happened_on:%-d %b %Y})"

    def get_absolute_url(self):
        return self.council.get_absolute_url()

    @property
    def kind_label(self) -> str:
        if self.kind == self.Kind.POLICY_CHANGE and self.service_area:
            return f"{self.get_kind_display()}: {self.get_service_area_display()}"
        return self.get_kind_display()
