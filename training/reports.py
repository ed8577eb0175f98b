"""Read-only evidence: coverage by council, the staff dashboard's figures and
the evaluators' export. Each function runs a fixed, small number of grouped
queries, whatever the number of sessions."""

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from members.models import Council, Member
from network_portal import caching

from .models import POSITIVE_RATINGS, Booking, Feedback, FollowUp, Headline, Rating, Session

# Councils are coloured by councillors trained, in these bands (lower bounds).
COVERAGE_BANDS = (0, 1, 5, 10, 20)
SMALL_CELL = 5
SUPPRESSED = "suppressed"


# --- Coverage -------------------------------------------------------------


def percent_half_up(part: int, whole: int | None) -> int | None:
    """A whole-number percentage rounded half up (Python's round() goes to even)."""
    if not whole:
        return None
    return (200 * part + whole) // (2 * whole)


@dataclass(frozen=True)
class CouncilCoverage:
    council: Council
    councillors_trained: int
    sessions_delivered: int

    @property
    def percent_of_seats(self) -> int | None:
        percent = percent_half_up(self.councillors_trained, self.council.councillor_seats)
        # A count of people can outrun seats after an election brings new councillors in.
        return None if percent is None else min(100, percent)

    @property
    def band(self) -> int:
        return max(i for i, low in enumerate(COVERAGE_BANDS) if self.councillors_trained >= low)


@dataclass(frozen=True)
class LondonCoverage:
    """Distinct councillors trained across London against all its elected seats."""

    councillors_trained: int
    seats: int

    @property
    def percent_of_seats(self) -> int | None:
        percent = percent_half_up(self.councillors_trained, self.seats)
        return None if percent is None else min(100, percent)


@dataclass(frozen=True)
class _CoverageCounts:
    trained: dict[int, int]
    delivered: dict[int, int]
    london_trained: int
    london_seats: int


def council_coverage(councils=None) -> list[CouncilCoverage]:
    councils = list(councils if councils is not None else Council.objects.all())
    counts = _coverage_counts_cached()
    return [CouncilCoverage(c, counts.trained.get(c.pk, 0), counts.delivered.get(c.pk, 0)) for c in councils]


def london_coverage() -> LondonCoverage:
    counts = _coverage_counts_cached()
    return LondonCoverage(counts.london_trained, counts.london_seats)


def councillors_trained_count():
    """People trained, for an aggregate over attended councillor bookings.

    A member is counted once however many sessions they attended. An
    anonymised booking no longer says whose it was: the retention job marks
    one per person as counted_as_trainee, so the figure holds when it empties
    the member links."""
    return Count("member", distinct=True) + Count("pk", filter=Q(member__isnull=True, counted_as_trainee=True))


def _coverage_counts_cached() -> _CoverageCounts:
    # Counted for every council at once and cached: the grouped count over all
    # bookings is the expensive part of the coverage map.
    return caching.cached(caching.COVERAGE, _coverage_counts)


def _coverage_counts() -> _CoverageCounts:
    # By the council and role snapshotted at booking time, which outlive the member link.
    councillors = Booking.objects.attended().filter(role=Member.Role.COUNCILLOR, council__isnull=False)
    trained = dict(councillors.values_list("council_id").annotate(n=councillors_trained_count()).order_by())
    delivered = dict(
        Session.objects.delivered()
        .filter(council__isnull=False)
        .values_list("council_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _CoverageCounts(
        trained=trained,
        delivered=delivered,
        london_trained=councillors.aggregate(n=councillors_trained_count())["n"],
        london_seats=Council.objects.seat_total(),
    )


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
    """The headline (people, by their latest rating) and mean confidence before and after."""
    figures = Feedback.objects.aggregate(
        n=Count("pk"),
        residents_before=Avg("confidence_residents_before"),
        residents_after=Avg("confidence_residents_after"),
        self_before=Avg("confidence_self_before"),
        self_after=Avg("confidence_self_after"),
    )
    n = figures["n"]
    return Feedback.objects.headline(), [
        ConfidenceChange(
            "Supporting residents' mental health", n, figures["residents_before"], figures["residents_after"]
        ),
        ConfidenceChange("Looking after their own wellbeing", n, figures["self_before"], figures["self_after"]),
    ]
