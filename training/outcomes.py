"""Outcome figures for funders, with their uncertainty: paired confidence
change with a 95% confidence interval, policy influence at 3 and 6 months, and
verified council policy changes. No figure is shown for fewer than
MIN_N people, so small groups cannot be singled out."""

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from .models import Booking, Commitment, Feedback, FollowUp
from .services import FOLLOWUP_OFFSETS

MIN_N = 5
CONFIDENCE_LEVEL = 0.95


def t_two_sided_critical(df: int, level: float = CONFIDENCE_LEVEL) -> float:
    """The Student t value with P(|T| < t) = level, for whole-number df.

    The standard library has no t distribution and scipy is not a dependency.
    For whole-number df the t distribution's central probability has a closed
    form in theta = atan(t / sqrt(df)) (Abramowitz and Stegun 26.7.3-4), which
    bisection inverts to well within a thousandth."""
    if df < 1:
        raise ValueError("df must be at least 1")
    low, high = 0.0, 1e4
    for _ in range(200):
        mid = (low + high) / 2
        if _central_probability(mid, df) < level:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _central_probability(t: float, df: int) -> float:
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2:
        if df == 1:
            return 2 * theta / math.pi
        term, total = 1.0, 1.0
        for j in range(1, (df - 3) // 2 + 1):
            term *= cos2 * (2 * j) / (2 * j + 1)
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    term, total = 1.0, 1.0
    for j in range(1, (df - 2) // 2 + 1):
        term *= cos2 * (2 * j - 1) / (2 * j)
        total += term
    return math.sin(theta) * total


@dataclass(frozen=True)
class PairedChange:
    label: str
    n: int
    mean: float | None
    low: float | None
    high: float | None

    @property
    def shown(self) -> bool:
        return self.mean is not None


def paired_change(label: str, pairs: list[tuple[int, int]], *, min_n: int = MIN_N) -> PairedChange:
    """Mean of after minus before, with a t-based 95% interval, over complete pairs."""
    differences = [after - before for before, after in pairs]
    n = len(differences)
    if n < max(min_n, 2):
        return PairedChange(label, n, None, None, None)
    mean = statistics.fmean(differences)
    margin = t_two_sided_critical(n - 1) * statistics.stdev(differences) / math.sqrt(n)
    return PairedChange(label, n, mean, mean - margin, mean + margin)


@dataclass(frozen=True)
class PolicyInfluence:
    wave_label: str
    eligible: int
    responses: int
    influenced: int
    min_n: int = MIN_N

    @property
    def shown(self) -> bool:
        return self.responses >= self.min_n

    @property
    def percent(self) -> int | None:
        return round(100 * self.influenced / self.responses) if self.shown else None

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.responses / self.eligible) if self.shown and self.eligible else None


@dataclass
class Outcomes:
    start: date
    end: date
    course: object
    confidence: list[PairedChange]
    influence: list[PolicyInfluence]
    commitments: list


def outcomes_for(*, start: date, end: date, course=None, now: datetime | None = None) -> Outcomes:
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    window = {
        "session__starts_at__gte": datetime.combine(start, time.min, zone),
        "session__starts_at__lt": datetime.combine(end, time.max, zone),
    }
    if course is not None:
        window["session__course"] = course
    bookings = Booking.objects.attended().filter(**window)
    return Outcomes(start, end, course, _confidence(bookings), _influence(bookings, now), _commitments(start, end))


def _confidence(bookings) -> list[PairedChange]:
    # Each trainee once, by their latest feedback in the period.
    rows = list(
        Feedback.objects.filter(booking__in=bookings)
        .latest_per_trainee()
        .values_list(
            "confidence_residents_before",
            "confidence_residents_after",
            "confidence_self_before",
            "confidence_self_after",
        )
    )
    return [
        paired_change("Supporting residents' mental health", [(r[0], r[1]) for r in rows]),
        paired_change("Looking after their own wellbeing", [(r[2], r[3]) for r in rows]),
    ]


def _influence(bookings, now) -> list[PolicyInfluence]:
    people = list(bookings.values_list("pk", "session__ends_at"))
    answers = {
        (booking_id, wave): influenced
        for booking_id, wave, influenced in FollowUp.objects.filter(booking__in=[p[0] for p in people]).values_list(
            "booking_id", "wave", "influenced_policy"
        )
    }
    figures = []
    for wave, label in FollowUp.Wave.choices:
        due = [pk for pk, ends_at in people if ends_at + FOLLOWUP_OFFSETS[FollowUp.Wave(wave)] <= now]
        given = [answers[(pk, wave)] for pk in due if (pk, wave) in answers]
        figures.append(PolicyInfluence(label, len(due), len(given), sum(given)))
    return figures


def _commitments(start: date, end: date) -> list:
    return list(
        Commitment.objects.verified()
        .filter(happened_on__gte=start, happened_on__lte=end)
        .select_related("council")
        .order_by("happened_on", "council__name")
    )
