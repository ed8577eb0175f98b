"""The evaluators' release: k-anonymous over its quasi-identifiers, per project.

How a release is made, and why it holds up against linkage:
- It is computed over the whole consented population, never per filter. One
  generalisation (the same level for every row) is chosen for the project's k:
  the least generalised that withholds at most SUPPRESSION_LIMIT of the rows.
  Generalising comes first; rows still in a combination shared by fewer than k
  people are then withheld from every file (suppression).
- A person's pseudonym links their rows, so the set of combinations a person
  has is itself a quasi-identifier: each such set must be shared by k people
  too. A person whose set is rarer keeps only their first row, or none.
- The breakdown is counted from the released rows only, so it says nothing
  about withheld people, and every cell in it is at least k.
- Filters select released rows by their generalised values, so a filtered file
  is a union of whole combinations of the full release: two downloads with
  different filters, or a file and the breakdown, can only be combined into
  further unions of combinations of at least k people.
"""

import hashlib
import hmac
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from members.models import Member

from .models import FEEDBACK_SCORES, FOLLOWUP_EVIDENCE, FOLLOWUP_OWN_WORDS, Booking, FollowUp, ResearchProject

ANY = "any"
NO_COUNCIL = "No council (partner)"
PAN_LONDON = "Pan-London"
# The largest share of rows a release may withhold before it generalises further.
SUPPRESSION_LIMIT = 0.05

QUASI_IDENTIFIERS = ("council", "role", "session_for", "course", "session_period")
LEVELS = {
    "council": ("council", "London Plan sub-region", "any"),
    "role": ("role", "any"),
    "session_for": ("council", "London Plan sub-region", "any"),
    "course": ("course", "any"),
    "session_period": ("month", "quarter", "year"),
}

FOLLOWUP_FIELDS = FOLLOWUP_EVIDENCE
FREE_TEXT_FOLLOWUP = FOLLOWUP_OWN_WORDS
FEEDBACK_FIELDS = FEEDBACK_SCORES
PARTICIPANT_COLUMNS = [
    "participant",
    *QUASI_IDENTIFIERS,
    *FEEDBACK_FIELDS,
    "will_do_differently",
    *[f"{wave}_{name}" for wave in FollowUp.Wave.values for name in FOLLOWUP_FIELDS],
]
BREAKDOWN_COLUMNS = ["council", "role", "people"]


# --- Pseudonyms -----------------------------------------------------------------


def project_key(project: ResearchProject) -> bytes:
    """The project's pseudonym key: its stored salt keyed with the server's secret."""
    secret = settings.RESEARCH_PSEUDONYM_KEY
    message = f"research-project:{project.key_salt}"
    if secret:
        return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return salted_hmac("training.research-project-key", message, algorithm="sha256").digest()


def pseudonym(project: ResearchProject, member_id: int) -> str:
    """Stable for one member within a project; unlinkable across projects."""
    digest = hmac.new(project_key(project), f"member:{member_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:16]}"


# --- Generalisation ---------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """One attended booking before release: its person, quasi-identifier ladders and answers."""

    person: int
    order: tuple
    ladders: tuple  # per quasi-identifier, its value at each level
    answers: dict


def _council_ladder(council, none_label: str) -> tuple[str, str, str]:
    if council is None:
        return (none_label, none_label, ANY)
    return (council.name, f"{council.subregion} London" if council.subregion else "London", ANY)


def _period_ladder(day: date) -> tuple[str, str, str]:
    return (f"{day:%Y-%m}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", str(day.year))


def _ladders(booking: Booking) -> tuple:
    session = booking.session
    return (
        _council_ladder(booking.council, NO_COUNCIL),
        (booking.role, ANY),
        _council_ladder(session.council, PAN_LONDON),
        (session.course.title, ANY),
        _period_ladder(timezone.localtime(session.starts_at).date()),
    )


def _sources() -> list[_Source]:
    """Every attended booking of a member who consents to research, oldest first."""
    bookings = list(
        Booking.objects.attended()
        .filter(member__consent_research=True)
        .select_related("council", "session__course", "session__council", "feedback")
        .order_by("session__starts_at", "pk")
    )
    follow_ups = defaultdict(dict)
    for followup in FollowUp.objects.filter(booking__in=[b.pk for b in bookings]):
        follow_ups[followup.booking_id][followup.wave] = followup
    return [
        _Source(b.member_id, (b.session.starts_at, b.pk), _ladders(b), _answers(b, follow_ups[b.pk])) for b in bookings
    ]


def _answers(booking: Booking, follow_ups: dict) -> dict:
    row = {}
    feedback = getattr(booking, "feedback", None)
    if feedback is not None:
        row.update({name: getattr(feedback, name) for name in FEEDBACK_FIELDS})
        row["will_do_differently"] = feedback.will_do_differently if feedback.research_consent else ""
    for wave, followup in follow_ups.items():
        for name in FOLLOWUP_FIELDS:
            value = getattr(followup, name)
            if name in FREE_TEXT_FOLLOWUP and not followup.research_consent:
                value = ""
            row[f"{wave}_{name}"] = value
    return row


# --- Choosing the release ---------------------------------------------------------


def _withhold(keys: list, persons: list[int], k: int, *, limit: int | None = None) -> set[int] | None:
    """Indexes of rows to withhold so every combination, and every person's set
    of combinations, is shared by at least k people.

    With a limit, None as soon as more than `limit` rows would go: the set only
    grows, so the caller learns "over the limit" without finishing."""
    withheld: set[int] = set()
    active = list(range(len(keys)))
    while True:
        active_keys = [keys[i] for i in active]
        active_persons = [persons[i] for i in active]
        # People per combination: distinct (combination, person) pairs, counted in C.
        people = Counter(key for key, _ in set(zip(active_keys, active_persons, strict=True)))
        small = [i for i, key in zip(active, active_keys, strict=True) if people[key] < k]
        if not small:
            keys_of = defaultdict(list)
            rows_of = defaultdict(list)
            for i, key, person in zip(active, active_keys, active_persons, strict=True):
                keys_of[person].append(key)
                rows_of[person].append(i)
            sets = {person: frozenset(combos) for person, combos in keys_of.items()}
            shared = Counter(sets.values())
            rare = [person for person, combo in sets.items() if shared[combo] < k]
            if not rare:
                return withheld
            for person in rare:
                rows = rows_of[person]
                # Keep a person's first row where that alone could pass; otherwise none.
                small += rows[1:] if len(rows) > 1 else rows
        withheld.update(small)
        if limit is not None and len(withheld) > limit:
            return None
        gone = set(small)
        active = [i for i in active if i not in gone]


@dataclass
class Release:
    project: ResearchProject
    levels: dict[str, str]
    rows: list[dict]
    withheld_rows: int
    population_rows: int
    released_at: object
    filters: dict[str, str] = field(default_factory=dict)
    filters_not_applied: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        return len({row["participant"] for row in self.rows})

    def breakdown(self) -> list[dict]:
        people = defaultdict(set)
        for row in self.rows:
            people[(row["council"], row["role"])].add(row["participant"])
        return [
            {"council": council, "role": role, "people": len(members)}
            for (council, role), members in sorted(people.items())
        ]


def _choose_levels(sources: list[_Source], k: int) -> tuple[tuple[int, ...], set[int]]:
    """The least generalised levels (fewest steps up the ladders, then fewest rows
    withheld) that withhold at most SUPPRESSION_LIMIT of the rows; if none does,
    the levels withholding fewest rows.

    Levels are tried in order of steps, and the search stops after the first
    number of steps at which one passes: more steps can never win. A candidate
    is dropped as soon as it withholds too many rows."""
    persons = [s.person for s in sources]
    limit = int(SUPPRESSION_LIMIT * len(sources))
    # Each combination as one integer (its values' codes in mixed radix): 108
    # candidates over every row hash ints far faster than tuples of strings.
    codes = [
        [_codes([s.ladders[q][level] for s in sources]) for level in range(len(LEVELS[name]))]
        for q, name in enumerate(QUASI_IDENTIFIERS)
    ]
    vectors = sorted(itertools.product(*(range(len(LEVELS[name])) for name in QUASI_IDENTIFIERS)), key=_steps_first)

    def keys(vector):
        combined = [0] * len(sources)
        for q, level in enumerate(vector):
            column, radix = codes[q][level]
            combined = [key * radix + code for key, code in zip(combined, column, strict=True)]
        return combined

    best = None
    for vector in vectors:
        if best is not None and sum(vector) > best[0][0]:
            break
        withheld = _withhold(keys(vector), persons, k, limit=limit)
        if withheld is not None and (best is None or (sum(vector), len(withheld), vector) < best[0]):
            best = ((sum(vector), len(withheld), vector), vector, withheld)
    if best is None:
        for vector in vectors:
            withheld = _withhold(keys(vector), persons, k)
            if best is None or (len(withheld), sum(vector), vector) < best[0]:
                best = ((len(withheld), sum(vector), vector), vector, withheld)
    return best[1], best[2]


def _codes(values: list[str]) -> tuple[list[int], int]:
    """Each value as a small integer, and how many distinct values there are."""
    numbers: dict[str, int] = {}
    return [numbers.setdefault(value, len(numbers)) for value in values], max(len(numbers), 1)


def _steps_first(vector: tuple[int, ...]) -> tuple:
    return (sum(vector), vector)


def release_build(*, project: ResearchProject, course: str = "", year: str = "") -> Release:
    """The project's release, optionally narrowed to whole released combinations."""
    sources = _sources()
    vector, withheld = _choose_levels(sources, project.k) if sources else ((0,) * len(QUASI_IDENTIFIERS), set())
    levels = {name: LEVELS[name][level] for name, level in zip(QUASI_IDENTIFIERS, vector, strict=True)}
    rows = []
    for i, source in enumerate(sources):
        if i in withheld:
            continue
        steps = zip(QUASI_IDENTIFIERS, source.ladders, vector, strict=True)
        qi = {name: ladder[level] for name, ladder, level in steps}
        row = {"participant": pseudonym(project, source.person), **qi, **source.answers}
        rows.append({column: row.get(column, "") for column in PARTICIPANT_COLUMNS})
    release = Release(project, levels, rows, len(withheld), len(sources), timezone.now())
    _apply_filters(release, course=course, year=year)
    return release


def _apply_filters(release: Release, *, course: str, year: str) -> None:
    # Filters match generalised values only, so they select whole combinations.
    if course:
        if release.levels["course"] == "any":
            release.filters_not_applied.append(f"course={course} (courses are generalised in this release)")
        else:
            release.filters["course"] = course
            release.rows = [row for row in release.rows if row["course"] == course]
    if year:
        release.filters["year"] = year
        release.rows = [row for row in release.rows if row["session_period"].startswith(f"{year}")]


ROLE_VALUES = [*Member.Role.values, ANY]
