import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from members.access import is_approved_member
from members.models import Topic
from network_portal.uploads import PrivateFileField

# Words PostgreSQL's English search ignores that matter most here ("housing and debt").
_STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it"}
    | {"of", "on", "or", "the", "to", "with"}
)
_TERM = re.compile(r'(-?)"([^"]+)"|(-?)([\w\']+)')


def search_terms(text: str) -> tuple[list[str], list[str]]:
    """The words and phrases a search wants and those it excludes (a leading minus)."""
    wanted, unwanted = [], []
    for minus_phrase, phrase, minus_word, word in _TERM.findall(text):
        term = (phrase or word).strip().lower()
        if not term or term in _STOP_WORDS:
            continue
        if word and len(term) > 3 and term.endswith("s") and not term.endswith("ss"):
            term = term[:-1]  # a light stem, so "debts" finds "debt" as PostgreSQL's does
        (unwanted if minus_phrase or minus_word else wanted).append(term)
    return wanted, unwanted


def _anywhere(term: str) -> Q:
    return Q(title__icontains=term) | Q(summary__icontains=term) | Q(body__icontains=term)


def _all_in(field: str, terms: list[str]) -> Q:
    return Q(*[Q(**{f"{field}__icontains": term}) for term in terms]) if terms else Q(pk__in=[])


def _published_newest_first(name: str) -> models.Index:
    # Lists of published rows read newest first; the index holds only those rows.
    return models.Index(F("published_at").desc(), F("id").desc(), condition=Q(status="published"), name=name)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    MEMBERS = "members", "Members only"


class Organisation(models.Model):
    """Who published a resource or an update: Thrive LDN, an NHS partner, a charity."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('resources:list')}?source={self.slug}"


class ResourceQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Resource.Status.PUBLISHED, published_at__lte=timezone.now())

    def first_scheduled(self):
        """When the next resource due to be published appears in the library."""
        due = self.filter(status=Resource.Status.PUBLISHED, published_at__gt=timezone.now())
        return due.aggregate(first=models.Min("published_at"))["first"]

    def visible_to(self, user):
        """What may appear in the library for this user: staff also see drafts."""
        if user.is_authenticated and user.is_staff:
            return self
        return self.published()

    def for_listing(self):
        return self.select_related("source", "council").prefetch_related("topics").defer("body", "search_vector")

    def search(self, text: str):
        """Matching resources annotated with `rank`: a title match ranks above a body match."""
        if not text:
            return self
        if connections[self.db].vendor == "postgresql":
            # websearch syntax never raises on odd input ("a -b", quotes, stray operators).
            query = SearchQuery(text, search_type="websearch", config="english")
            return self.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        return self._search_by_words(text)

    def _search_by_words(self, text: str):
        """Embedded mode (SQLite) has no full-text search: like PostgreSQL's websearch, every
        word must appear, in any order and in any of the fields; "quoted phrases" stay
        whole and a leading minus excludes a word."""
        wanted, unwanted = search_terms(text)
        if not wanted and not unwanted:
            return self.none()
        matches = self
        for term in wanted:
            matches = matches.filter(_anywhere(term))
        for term in unwanted:
            matches = matches.exclude(_anywhere(term))
        return matches.annotate(
            rank=Case(
                When(_all_in("title", wanted), then=Value(1.0)),
                When(_all_in("summary", wanted), then=Value(0.4)),
                default=Value(0.2),
                output_field=FloatField(),
            )
        )

    def filtered(self, *, topic=None, kind="", source=None, visibility=""):
        wanted = {"topics": topic, "kind": kind, "source": source, "visibility": visibility}
        return self.filter(**{field: value for field, value in wanted.items() if value})


class Resource(models.Model):
    class Kind(models.TextChoices):
        GUIDE = "guide", "Guide"
        TOOLKIT = "toolkit", "Toolkit"
        BRIEFING = "briefing", "Briefing"
        CASE_STUDY = "case_study", "Case study"
        SLIDES = "slides", "Slides"
        VIDEO = "video", "Video"
        LINK = "link", "Link"
        TRAINING = "training", "Training material"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    Visibility = Visibility

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(max_length=600, help_text="One or two sentences shown in the library.")
    body = models.TextField(blank=True, help_text="Markdown.")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="resources")
    source = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="resources")
    council = models.ForeignKey(
        "members.Council",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        help_text="The council credited, for case studies.",
    )
    # The file lives in the private storage under a generated name
    # (network_portal.uploads); file_name is only the name offered on download.
    file = PrivateFileField(folder="resources")
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    url = models.URLField("external link", max_length=500, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept up to date by a PostgreSQL trigger (migration 0004); empty under SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        # The library and search list published resources newest first (bench/README.md).
        indexes = [_published_newest_first("resource_published_recent")]
        constraints = [
            models.CheckConstraint(
                # A case study's text is its content; every other kind offers a file or a link.
                condition=~(Q(file="") & Q(url="")) | Q(status="draft") | Q(kind="case_study"),
                name="resource_published_has_file_or_url",
            ),
            models.CheckConstraint(
                condition=Q(file="") | Q(url=""),
                name="resource_not_both_file_and_url",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="resource_published_has_date",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("resources:detail", kwargs={"slug": self.slug})

    def get_download_url(self):
        return reverse("resources:download", kwargs={"slug": self.slug})

    @property
    def members_only(self) -> bool:
        return self.visibility == Visibility.MEMBERS

    @property
    def has_file(self) -> bool:
        return bool(self.file)

    @property
    def file_extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if self.file else ""

    @property
    def credit(self) -> str:
        return str(self.council or self.source or "")

    def may_download(self, user) -> bool:
        return not self.members_only or is_approved_member(user)


class Download(models.Model):
    """One download (or click through to an external link), for counts and "My downloads"."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="downloads"
    )
    downloaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-downloaded_at"]
        indexes = [models.Index(fields=["user", "-downloaded_at"], name="download_user_recent")]

    def __str__(self):
        return f"{self.resource} at {self.downloaded_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.resource.get_absolute_url()


class UpdateQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Update.Status.PUBLISHED, published_at__lte=timezone.now())

    def visible_to(self, user):
        published = self.published().select_related("organisation")
        if is_approved_member(user):
            return published
        return published.filter(visibility=Visibility.PUBLIC)

    def published_between(self, start, end):
        return self.published().filter(published_at__gte=start, published_at__lt=end)

    def awaiting_approval(self):
        return self.filter(status=Update.Status.SUBMITTED)


class Update(models.Model):
    """News from a health or care partner."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for staff approval"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    Visibility = Visibility

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(help_text="Markdown.")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="updates")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_updates",
        help_text="The partner member who drafted it, if any.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        # The home page, /updates/ and the digest list published updates newest first.
        indexes = [_published_newest_first("update_published_recent")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="update_published_has_date",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("resources:update-detail", kwargs={"slug": self.slug})

    @property
    def members_only(self) -> bool:
        return self.visibility == Visibility.MEMBERS


class CaseStudyQuerySet(models.QuerySet):
    def awaiting_review(self):
        return self.filter(status=CaseStudy.Status.SUBMITTED)

    def submitted_by(self, user):
        return self.filter(submitter=user).select_related("council", "resource")


class CaseStudy(models.Model):
    """Good practice shared by a member, moderated by staff before it becomes a Resource."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for review"
        PUBLISHED = "published", "Published"
        RETURNED = "returned", "Returned with a note"

    title = models.CharField(max_length=200)
    council = models.ForeignKey("members.Council", on_delete=models.PROTECT, related_name="case_studies")
    topics = models.ManyToManyField(Topic, blank=True, related_name="case_studies")
    what_we_did = models.TextField("what you did")
    outcome = models.TextField("the outcome")
    may_contact = models.BooleanField("colleagues may contact me about this", default=False)
    file = PrivateFileField(folder="case-studies")
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="case_studies"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    review_note = models.TextField(blank=True, help_text="Sent to the submitter when the case study is returned.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    resource = models.OneToOneField(
        Resource, on_delete=models.SET_NULL, null=True, blank=True, related_name="case_study"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = "case studies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_note=""),
                name="casestudy_returned_has_note",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.resource_id:
            return self.resource.get_absolute_url()
        return reverse("admin:resources_casestudy_change", args=[self.pk])
