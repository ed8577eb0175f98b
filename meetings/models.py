import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from members.access import is_approved_member
from network_portal.ics import LONDON
from network_portal.uploads import PrivateFileField

QUARTER_MONTHS = {1: "January to March", 2: "April to June", 3: "July to September", 4: "October to December"}
# How long after a meeting ends it still counts as "upcoming" for the personal calendar feed.
FEED_HISTORY = timedelta(days=90)


class MeetingQuerySet(models.QuerySet):
    def visible(self):
        """Meetings the public may see: published ones, and cancelled ones so the notice stays up."""
        return self.filter(status__in=Meeting.VISIBLE_STATUSES)

    def published(self):
        return self.filter(status=Meeting.Status.PUBLISHED)

    def upcoming(self, now=None):
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None):
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")

    def next_end(self):
        """When the next of these meetings ends (and moves to the past)."""
        return self.upcoming().aggregate(first=models.Min("ends_at"))["first"]

    def next_meeting(self, now=None):
        return self.published().upcoming(now).first()

    def with_counts(self):
        active = Q(registrations__status=Registration.Status.REGISTERED)
        return self.annotate(
            in_person_count=Count(
                "registrations", filter=active & Q(registrations__mode=Registration.Mode.IN_PERSON), distinct=True
            ),
            online_count=Count(
                "registrations", filter=active & Q(registrations__mode=Registration.Mode.ONLINE), distinct=True
            ),
            waitlist_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED), distinct=True
            ),
        )

    def awaiting_minutes(self, now=None):
        return self.published().filter(ends_at__lt=now or timezone.now(), minutes_published_at__isnull=True)


class Meeting(models.Model):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        HYBRID = "hybrid", "Hybrid (in person and online)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    VISIBLE_STATUSES = (Status.PUBLISHED, Status.CANCELLED)

    # A change to any of these moves the meeting in people's calendars: the ICS
    # SEQUENCE goes up and registrants get a change notice.
    TIME_AND_PLACE_FIELDS = ("starts_at", "ends_at", "format", "venue_name", "venue_address", "joining_url")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.HYBRID)
    venue_name = models.CharField(max_length=200, blank=True)
    venue_address = models.TextField(blank=True)
    joining_url = models.URLField(
        "joining link",
        max_length=500,
        blank=True,
        help_text="Private: shown only to registered members, and sent in their reminders.",
    )
    joining_notes = models.TextField(
        blank=True, help_text="Private, like the link: meeting ID, passcode or dial-in numbers."
    )
    chair = models.CharField(max_length=200, help_text="Name and role, e.g. Chief Executive, Centre for Mental Health.")
    summary = models.TextField(blank=True, help_text="Markdown.")
    agenda = models.TextField(blank=True, help_text="Markdown.")
    in_person_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="In-person seats. Leave blank for no limit."
    )
    registration_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave blank to keep registration open until the meeting starts."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    cancellation_reason = models.TextField(blank=True)
    minutes = models.TextField(blank=True, help_text="Markdown. Members see them once published.")
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    recording_url = models.URLField("recording link", max_length=500, blank=True)
    # iCalendar SEQUENCE: bumped by the service whenever time or place changes.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # When staff last changed the time or place: reminders due before it are not sent.
    rescheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="meeting_starts_before_ends"),
            models.CheckConstraint(
                condition=Q(in_person_capacity__isnull=True) | Q(in_person_capacity__gte=0),
                name="meeting_capacity_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__isnull=True) | Q(registration_closes_at__lte=models.F("ends_at")),
                name="meeting_registration_closes_by_end",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at, LONDON):%-d %b %Y})"

    def get_absolute_url(self):
        return reverse("meetings:detail", kwargs={"slug": self.slug})

    @property
    def quarter(self) -> tuple[int, int]:
        local = timezone.localtime(self.starts_at, LONDON)
        return local.year, (local.month - 1) // 3 + 1

    @property
    def quarter_label(self) -> str:
        """Derived from the London date, e.g. "Q2 2026 (April to June)"."""
        year, quarter = self.quarter
        return f"Q{quarter} {year} ({QUARTER_MONTHS[quarter]})"

    @property
    def registration_deadline(self):
        return self.registration_closes_at or self.starts_at

    @property
    def has_in_person(self) -> bool:
        return self.format in {self.Format.IN_PERSON, self.Format.HYBRID}

    @property
    def has_online(self) -> bool:
        return self.format in {self.Format.ONLINE, self.Format.HYBRID}

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_visible(self) -> bool:
        """Seen by everyone, as MeetingQuerySet.visible(); drafts only by staff."""
        return self.status in self.VISIBLE_STATUSES

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def has_ended(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def is_open_for_registration(self) -> bool:
        return self.status == self.Status.PUBLISHED and timezone.now() < self.registration_deadline

    @property
    def minutes_published(self) -> bool:
        return self.minutes_published_at is not None

    @property
    def venue_line(self) -> str:
        """The venue name and address on one line."""
        address = ", ".join(line.strip() for line in self.venue_address.splitlines() if line.strip())
        return ", ".join(part for part in [self.venue_name, address] if part)

    @property
    def place(self) -> str:
        """Where it happens, for calendars. Never includes the joining link."""
        venue = self.venue_line
        if self.format == self.Format.ONLINE:
            return "Online"
        if self.format == self.Format.HYBRID:
            return f"{venue} and online" if venue else "Online and in person"
        return venue


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status__in=Registration.CANCELLED_STATUSES)

    def registered(self):
        return self.filter(status=Registration.Status.REGISTERED)

    def waitlisted(self):
        # First come, first served.
        return self.filter(status=Registration.Status.WAITLISTED).order_by("created_at", "pk")

    def in_person(self):
        return self.filter(mode=Registration.Mode.IN_PERSON)

    def for_user(self, user):
        return self.filter(user=user) if user.is_authenticated else self.none()

    def survey_recipients(self, meeting):
        """Those marked attended; everyone registered if attendance was not taken."""
        registered = self.filter(meeting=meeting).registered()
        attended = registered.filter(attendance=Registration.Attendance.ATTENDED)
        return attended if attended.exists() else registered


class Registration(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WAITLISTED = "waitlisted", "On the in-person waiting list"
        CANCELLED = "cancelled", "Cancelled"
        # The organisers cancelled the meeting: not the member's own choice.
        ORGANISER_CANCELLED = "organiser_cancelled", "Cancelled by the organiser"

    CANCELLED_STATUSES = (Status.CANCELLED, Status.ORGANISER_CANCELLED)

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", "Not recorded"
        ATTENDED = "attended", "Attended"
        ABSENT = "absent", "Did not attend"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_registrations")
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REGISTERED)
    attendance = models.CharField(max_length=20, choices=Attendance.choices, default=Attendance.UNKNOWN)
    access_needs = models.TextField(
        blank=True, help_text="Access, dietary or other needs the organisers should know about."
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=~Q(status__in=["cancelled", "organiser_cancelled"]),
                name="meeting_one_active_registration_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered", "cancelled", "organiser_cancelled"]) | Q(mode="in_person"),
                name="registration_only_in_person_waits",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "status", "mode"], name="registration_meeting_status")]

    def __str__(self):
        return f"{self.user} at {self.meeting} ({self.get_mode_display()}, {self.get_status_display()})"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()

    @property
    def is_registered(self) -> bool:
        return self.status == self.Status.REGISTERED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == self.Status.WAITLISTED

    @property
    def sees_joining_link(self) -> bool:
        return self.is_registered and self.meeting.has_online


class PaperQuerySet(models.QuerySet):
    def visible_to(self, user):
        if is_approved_member(user):
            return self
        return self.filter(visibility=Paper.Visibility.PUBLIC)


class Paper(models.Model):
    class Kind(models.TextChoices):
        AGENDA_PACK = "agenda_pack", "Agenda pack"
        SLIDES = "slides", "Slides"
        MINUTES = "minutes", "Minutes"
        ACTION_LOG = "action_log", "Action log"
        OTHER = "other", "Other"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Everyone"
        MEMBERS = "members", "Approved members only"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.MEMBERS)
    # In the private storage under a generated name (network_portal.uploads), never a public path.
    file = PrivateFileField(folder="meeting-papers")
    file_name = models.CharField("file name", max_length=255, blank=True, editable=False)
    size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    link = models.URLField(max_length=500, blank=True, help_text="Instead of a file, for papers hosted elsewhere.")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="paper_file_or_link",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.link:
            return self.link
        return reverse("meetings:paper", kwargs={"slug": self.meeting.slug, "pk": self.pk})

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if self.file else ""


class ActionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS])

    def carried_forward_to(self, meeting):
        """Open actions agreed at earlier meetings: they appear on this meeting's page."""
        return (
            self.open()
            .filter(meeting__starts_at__lt=meeting.starts_at)
            .select_related("meeting", "owner", "council")
            .order_by("due_on", "pk")
        )

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_actions",
        help_text="A member who owns the action…",
    )
    owner_text = models.CharField(
        "owner (name or organisation)", max_length=200, blank=True, help_text="…or a name or organisation."
    )
    council = models.ForeignKey(
        "members.Council", on_delete=models.SET_NULL, null=True, blank=True, related_name="meeting_actions"
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["meeting__starts_at", "pk"]

    def __str__(self):
        return self.description[:80]

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()

    @property
    def owner_label(self) -> str:
        if self.owner_id:
            return self.owner_text or str(self.owner)
        return self.owner_text or "No owner yet"

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.IN_PROGRESS}


class FeedbackQuerySet(models.QuerySet):
    def summary(self) -> dict:
        """Counts per usefulness score, the mean, and the share scoring 4 or 5, computed live."""
        counts = dict(self.order_by().values_list("usefulness").annotate(n=Count("pk")))
        n = sum(counts.values())
        rows = [
            {
                "value": value,
                "label": label,
                "count": counts.get(value, 0),
                "percent": _percent(counts.get(value, 0), n),
            }
            for value, label in Feedback.Usefulness.choices
        ]
        useful = counts.get(4, 0) + counts.get(5, 0)
        return {
            "n": n,
            "rows": rows,
            "mean": round(sum(value * count for value, count in counts.items()) / n, 1) if n else None,
            "useful_percent": _percent(useful, n),
        }


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


class Feedback(models.Model):
    """One response per registration to the post-meeting survey."""

    class Usefulness(models.IntegerChoices):
        NOT_USEFUL = 1, "1 – Not useful"
        SLIGHTLY = 2, "2 – Slightly useful"
        MODERATELY = 3, "3 – Moderately useful"
        VERY = 4, "4 – Very useful"
        EXTREMELY = 5, "5 – Extremely useful"

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="feedback")
    usefulness = models.PositiveSmallIntegerField(choices=Usefulness.choices)
    topics_next_time = models.TextField(blank=True)
    comments = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(usefulness__gte=1) & Q(usefulness__lte=5), name="meeting_feedback_usefulness_1_to_5"
            ),
        ]

    def __str__(self):
        return f"Feedback on {self.registration.meeting}: {self.usefulness}/5"

    def get_absolute_url(self):
        return reverse("meetings:feedback-summary", kwargs={"slug": self.registration.meeting.slug})


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's personal calendar subscription. The token is the only key, so it can be replaced."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar feed for {self.user}"

    def get_absolute_url(self):
        return reverse("meetings:calendar-feed", kwargs={"token": self.token})
