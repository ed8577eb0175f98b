"""Read-only evidence: coverage by council, the staff dashboard's figures and
the evaluators' export. Each function runs a fixed, small number of grouped
queries, whatever the number of sessions."""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from members.models import Council, Member
from network_portal import caching

from .models import POSITIVE_RATINGS, Booking, Feedback, FollowUp, Headline, Rating, Session

# Councils are coloured by councillors trained, in these bands (lower bounds).
COVERAGE_BANDS = (0, 1, 5, 10, 20)
SMALL_CELL = 5
SUPPRESSED = "suppressed"


# --- Coverage -------------------------------------------------------------


@dataclass(frozen=True)
class CouncilCoverage:
    council: Council
    councillors_trained: int
    sessions_delivered: int

    @property
    def percent_of_seats(self) -> int | None:
        seats = self.council.councillor_seats
        if not seats:
            return None
        return min(100, (200 * self.councillors_trained + seats) // (2 * seats))

    @property
    def band(self) -> int:
        return max(i for i, low in enumerate(COVERAGE_BANDS) if self.councillors_trained >= low)


def council_coverage(councils=None) -> list[CouncilCoverage]:
    councils = list(councils if councils is not None else Council.objects.all())
    # Counted for every council at once and cached: the grouped count over all
    # bookings is the expensive part of the coverage map.
    trained, delivered = caching.cached(caching.COVERAGE, _coverage_counts)
    return [CouncilCoverage(c, trained.get(c.pk, 0), delivered.get(c.pk, 0)) for c in councils]


def councillors_trained_count():
    """People trained, for an aggregate over attended councillor bookings.

    A member is counted once however many sessions they attended. An
    anonymised booking no longer says whose it was: the retention job marks
    one per person as counted_as_trainee, so the figure holds when it empties
    the member links."""
    return Count("member", distinct=True) + Count("pk", filter=Q(member__isnull=True, counted_as_trainee=True))


def _coverage_counts() -> tuple[dict[int, int], dict[int, int]]:
    # By the council and role snapshotted at booking time, which outlive the member link.
    trained = dict(
        Booking.objects.attended()
        .filter(role=Member.Role.COUNCILLOR, council__isnull=False)
        .values_list("council_id")
        .annotate(n=councillors_trained_count())
        .order_by()
    )
    delivered = dict(
        Session.objects.delivered()
        .filter(council__isnull=False)
        .values_list("council_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return trained, delivered


def coverage_bands() -> list[tuple[int, str]]:
    labels = []
    for i, low in enumerate(COVERAGE_BANDS):
        if i + 1 < len(COVERAGE_BANDS):
            high = COVERAGE_BANDS[i + 1] - 1
            labels.append((i, "None" if high == 0 else f"{low} to {high}" if high != low else str(low)))
        else:
            labels.append((i, f"{low} or more"))
    return labels


# --- Staff dashboard ------------------------------------------------------


@dataclass
class Distribution:
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    attended: int = 0

    @property
    def responses(self) -> int:
        return sum(self.counts.values())

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.responses / self.attended) if self.attended else None

    @property
    def positive_percent(self) -> int | None:
        if not self.responses:
            return None
        return round(100 * sum(self.counts.get(r, 0) for r in POSITIVE_RATINGS) / self.responses)

    def ordered(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0)) for value, label in Rating.choices]


def ratings_by_course() -> list[Distribution]:
    rows: dict[int, Distribution] = {}
    for course_id, title, n in (
        Booking.objects.attended()
        .values_list("session__course_id", "session__course__title")
        .annotate(n=Count("pk"))
        .order_by("session__course__title")
    ):
        rows[course_id] = Distribution(title, attended=n)
    for course_id, title, rating, n in (
        Feedback.objects.values_list("booking__session__course_id", "booking__session__course__title", "rating")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows.setdefault(course_id, Distribution(title)).counts[rating] = n
    return list(rows.values())


def ratings_by_session(limit: int = 100) -> list[tuple[Session, Distribution]]:
    """The most recent finished sessions that anyone attended."""
    sessions = list(
        Session.objects.past()
        .filter(bookings__attended=Booking.Attended.YES)
        .annotate(attended_count=Count("bookings", filter=Q(bookings__attended=Booking.Attended.YES)))
        .select_related("course", "council")
        .order_by("-starts_at")[:limit]
    )
    rows = {s.pk: Distribution(str(s), attended=s.attended_count) for s in sessions}
    for session_id, rating, n in (
        Feedback.objects.filter(booking__session_id__in=rows)
        .values_list("booking__session_id", "rating")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows[session_id].counts[rating] = n
    return [(s, rows[s.pk]) for s in sessions]


@dataclass(frozen=True)
class Turnout:
    council: str
    registered: int
    attended: int
    no_show: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.registered) if self.registered else None


def turnout_by_council() -> list[Turnout]:
    """Confirmed bookings for finished sessions against attendance, by the member's council when they booked."""
    rows = (
        Booking.objects.confirmed()
        .filter(session__in=Session.objects.past())
        .values_list("council__name")
        .annotate(
            n_registered=Count("pk"),
            n_attended=Count("pk", filter=Q(attended=Booking.Attended.YES)),
            n_no_show=Count("pk", filter=Q(attended=Booking.Attended.NO)),
        )
        .order_by("council__name")
    )
    return [Turnout(name or "No council (partners)", *counts) for name, *counts in rows]


@dataclass(frozen=True)
class FollowUpSummary:
    wave: str
    wave_label: str
    responses: int
    raised_in_meeting: int
    influenced_policy: int
    became_champion: int
    changed_own_wellbeing: int
    would_recommend: int
    by_area: dict[str, int]


def followup_outcomes() -> list[FollowUpSummary]:
    """Totals per wave, summed from one grouped query by wave and service area."""
    totals = {wave: [0] * 6 for wave in FollowUp.Wave.values}
    areas = {wave: dict.fromkeys(FollowUp.PolicyArea.values, 0) for wave in FollowUp.Wave.values}
    groups = (
        FollowUp.objects.values_list("wave", "policy_area")
        .annotate(
            responses=Count("pk"),
            raised=Count("pk", filter=Q(raised_in_meeting=True)),
            policy=Count("pk", filter=Q(influenced_policy=True)),
            champion=Count("pk", filter=Q(became_champion=True)),
            wellbeing=Count("pk", filter=Q(changed_own_wellbeing=True)),
            recommend=Count("pk", filter=Q(would_recommend=FollowUp.Recommend.YES)),
        )
        .order_by()
    )
    for wave, area, *counts in groups:
        totals[wave] = [total + n for total, n in zip(totals[wave], counts, strict=True)]
        if area:
            areas[wave][area] += counts[2]
    return [FollowUpSummary(wave, label, *totals[wave], by_area=areas[wave]) for wave, label in FollowUp.Wave.choices]


@dataclass(frozen=True)
class ConfidenceChange:
    label: str
    n: int
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def feedback_summary() -> tuple[Headline, list[ConfidenceChange]]:
    """The headline and mean confidence before and after, in one query."""
    figures = Feedback.objects.aggregate(
        n=Count("pk"),
        positive=Count("pk", filter=Q(rating__in=POSITIVE_RATINGS)),
        residents_before=Avg("confidence_residents_before"),
        residents_after=Avg("confidence_residents_after"),
        self_before=Avg("confidence_self_before"),
        self_after=Avg("confidence_self_after"),
    )
    n = figures["n"]
    return Headline(n=n, positive=figures["positive"]), [
        ConfidenceChange(
            "Supporting residents' mental health", n, figures["residents_before"], figures["residents_after"]
        ),
        ConfidenceChange("Looking after their own wellbeing", n, figures["self_before"], figures["self_after"]),
    ]


# --- Evaluators' export ---------------------------------------------------


def pseudonym(member_id: int) -> str:
    """A stable code for one member that only the portal can link back to them."""
    key = settings.RESEARCH_PSEUDONYM_KEY
    if key:
        digest = hmac.new(key.encode(), f"member:{member_id}".encode(), hashlib.sha256).hexdigest()
    else:
        # No dedicated key configured: derive one from SECRET_KEY, namespaced so
        # it cannot be confused with any other use of that key.
        digest = salted_hmac("training.research-pseudonym", f"member:{member_id}", algorithm="sha256").hexdigest()
    return f"P-{digest[:16]}"


PARTICIPANT_COLUMNS = [
    "participant",
    "council",
    "role",
    "course",
    "session_month",
    "session_for",
    "rating",
    "usefulness",
    "confidence_residents_before",
    "confidence_residents_after",
    "confidence_self_before",
    "confidence_self_after",
    "will_do_differently",
    *[
        f"{wave}_{name}"
        for wave in ("3m", "6m")
        for name in (
            "raised_in_meeting",
            "influenced_policy",
            "policy_area",
            "policy_description",
            "evidence_url",
            "became_champion",
            "changed_own_wellbeing",
            "would_recommend",
        )
    ],
]
FREE_TEXT_FOLLOWUP = ("policy_description", "evidence_url")


def research_participants() -> list[dict]:
    """One row per attended booking of a member who consented to research.

    Names and emails never appear. Free text appears only where the answer
    carried its own research consent. Council and role are replaced by
    "suppressed" where fewer than five consented people share them."""
    consented = Booking.objects.attended().filter(member__consent_research=True)
    bookings = list(
        consented.select_related("member__council", "session__course", "session__council", "feedback").order_by(
            "session__starts_at", "pk"
        )
    )
    follow_ups = defaultdict(dict)
    # A subquery, not a list of every booking id: at national size that list is 150,000 parameters.
    for followup in FollowUp.objects.filter(booking__in=consented.values("pk")):
        follow_ups[followup.booking_id][followup.wave] = followup
    small = _small_cells({b.member for b in bookings})
    return [_participant_row(b, follow_ups[b.pk], small) for b in bookings]


BREAKDOWN_COLUMNS = ["council", *Member.Role.values]


def research_breakdown() -> list[dict]:
    """Consented participants by council and role, with small cells suppressed.

    No totals: with a total, a single suppressed cell could be worked out."""
    # The distinct members, read once each, rather than one member object per attended booking.
    members = Member.objects.filter(
        consent_research=True, pk__in=Booking.objects.attended().values("member_id")
    ).select_related("council")
    counts = _cell_counts(members)
    roles = [value for value, _ in Member.Role.choices]
    councils = sorted({council for council, _ in counts})
    return [
        {
            "council": council,
            **{role: _cell(counts.get((council, role), 0)) for role in roles},
        }
        for council in councils
    ]


def _cell(n: int):
    return n if n == 0 or n >= SMALL_CELL else SUPPRESSED


def _cell_key(member: Member) -> tuple[str, str]:
    return (member.council.name if member.council_id else "No council", member.role)


def _cell_counts(members) -> dict[tuple[str, str], int]:
    counts = defaultdict(int)
    for member in members:
        counts[_cell_key(member)] += 1
    return counts


def _small_cells(members) -> set[tuple[str, str]]:
    return {key for key, n in _cell_counts(members).items() if n < SMALL_CELL}


def _participant_row(booking: Booking, follow_ups: dict, small: set) -> dict:
    member, session = booking.member, booking.session
    council, role = _cell_key(member)
    if (council, role) in small:
        council = role = SUPPRESSED
    row = {
        "participant": pseudonym(member.pk),
        "council": council,
        "role": role,
        "course": session.course.title,
        "session_month": f"{timezone.localtime(session.starts_at):%Y-%m}",
        "session_for": session.place_label,
    }
    feedback = getattr(booking, "feedback", None)
    if feedback is not None:
        row.update(
            rating=feedback.rating,
            usefulness=feedback.usefulness,
            confidence_residents_before=feedback.confidence_residents_before,
            confidence_residents_after=feedback.confidence_residents_after,
            confidence_self_before=feedback.confidence_self_before,
            confidence_self_after=feedback.confidence_self_after,
            will_do_differently=feedback.will_do_differently if feedback.research_consent else "",
        )
    for wave, followup in follow_ups.items():
        for name in PARTICIPANT_COLUMNS:
            prefix = f"{wave}_"
            if not name.startswith(prefix):
                continue
            attr = name.removeprefix(prefix)
            value = getattr(followup, attr)
            if attr in FREE_TEXT_FOLLOWUP and not followup.research_consent:
                value = ""
            row[name] = value
    return {column: row.get(column, "") for column in PARTICIPANT_COLUMNS}
