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

import functools
import gc
import hashlib
import hmac
import itertools
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from members.models import Council, Member

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
    return _pseudonym(project_key(project), member_id)


def _pseudonym(key: bytes, member_id: int) -> str:
    digest = hmac.new(key, f"member:{member_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:16]}"


# --- Generalisation ---------------------------------------------------------------


class _Source(NamedTuple):
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


FEEDBACK_VALUES = (*FEEDBACK_FIELDS, "will_do_differently", "research_consent")
FOLLOWUP_VALUES = (*FOLLOWUP_FIELDS, "research_consent")


def _sources() -> list[_Source]:
    """Every attended booking of a member who consents to research, oldest first.

    Read as plain values, not model instances: at national scale that is
    nearly 80,000 bookings, and the ladders repeat (a few dozen councils and courses,
    a few thousand session times), so each is made once."""
    bookings = Booking.objects.attended().filter(member__consent_research=True)
    rows = bookings.order_by("session__starts_at", "pk").values_list(
        "pk", "member_id", "role", "council_id", "session__starts_at", "session__council_id", "session__course__title",
        "feedback__pk", *(f"feedback__{name}" for name in FEEDBACK_VALUES),
    )  # fmt: skip
    follow_ups = defaultdict(dict)
    for booking_id, wave, *values in FollowUp.objects.filter(booking__in=bookings.values("pk")).values_list(
        "booking_id", "wave", *FOLLOWUP_VALUES
    ):
        follow_ups[booking_id][wave] = dict(zip(FOLLOWUP_VALUES, values, strict=True))
    councils = {council.pk: council for council in Council.objects.all()}
    trainee_places = _Ladders(lambda pk: _council_ladder(councils.get(pk), NO_COUNCIL))
    session_places = _Ladders(lambda pk: _council_ladder(councils.get(pk), PAN_LONDON))
    periods = _Ladders(lambda starts_at: _period_ladder(timezone.localtime(starts_at).date()))
    roles, courses = _Ladders(lambda role: (role, ANY)), _Ladders(lambda title: (title, ANY))
    return [
        _Source(
            member_id,
            (starts_at, pk),
            (
                trainee_places[council_id],
                roles[role],
                session_places[session_council_id],
                courses[title],
                periods[starts_at],
            ),
            _answers(feedback if feedback[0] is not None else None, follow_ups.get(pk, {})),
        )
        for pk, member_id, role, council_id, starts_at, session_council_id, title, *feedback in rows
    ]


class _Ladders(dict):
    """Each value's ladder, made once per distinct value."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, value):
        self[value] = ladder = self.make(value)
        return ladder


def _answers(feedback: list | None, follow_ups: dict[str, dict]) -> dict:
    row = {}
    if feedback is not None:
        # feedback holds its pk, then the FEEDBACK_VALUES in order.
        row.update(zip(FEEDBACK_FIELDS, feedback[1:], strict=False))
        will_do_differently, research_consent = feedback[-2:]
        row["will_do_differently"] = will_do_differently if research_consent else ""
    for wave, followup in follow_ups.items():
        for name in FOLLOWUP_FIELDS:
            value = followup[name]
            if name in FREE_TEXT_FOLLOWUP and not followup["research_consent"]:
                value = ""
            row[f"{wave}_{name}"] = value
    return row


# --- Choosing the release ---------------------------------------------------------


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
    is dropped without trying it when too many people must lose a row under it
    (_Bounds), and as soon as it withholds too many rows, or more than the best
    so far at its number of steps."""
    people = _People(sources)
    limit = int(SUPPRESSION_LIMIT * len(sources))
    vectors = sorted(itertools.product(*(range(len(LEVELS[name])) for name in QUASI_IDENTIFIERS)), key=_steps_first)
    bounds = _Bounds(people, k)
    best = None
    with _without_cycle_collection():
        for vector in vectors:
            if best is not None and sum(vector) > best[0][0]:
                break
            # A later vector with as many steps wins only by withholding fewer rows.
            bound = limit if best is None else min(limit, best[0][1] - 1)
            if bounds.must_lose(vector) > bound:
                continue
            withheld = _withhold(people.combinations(vector), people, k, limit=bound)
            if withheld is not None and (best is None or (sum(vector), len(withheld), vector) < best[0]):
                best = ((sum(vector), len(withheld), vector), vector, withheld)
        if best is None:
            for vector in vectors:
                withheld = _withhold(people.combinations(vector), people, k)
                if best is None or (len(withheld), sum(vector), vector) < best[0]:
                    best = ((len(withheld), sum(vector), vector), vector, withheld)
    return best[1], best[2]


def _steps_first(vector: tuple[int, ...]) -> tuple:
    return (sum(vector), vector)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The search makes and drops millions of sets of integers, none of them in
    a reference cycle; the cycle collector would walk the whole heap again and
    again for nothing (half the search's time at national scale)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _People:
    """The rows put person by person (each person's in row order), so a
    person's rows are one slice; `order` maps a position back to its row."""

    def __init__(self, sources: list[_Source]):
        persons = [source.person for source in sources]
        self.order = sorted(range(len(sources)), key=persons.__getitem__)
        runs = [len(list(run)) for _person, run in itertools.groupby(map(persons.__getitem__, self.order))]
        ends = list(itertools.accumulate(runs))
        self.slices = [slice(end - run, end) for run, end in zip(runs, ends, strict=True)]
        self.of_position = list(itertools.chain.from_iterable(map(itertools.repeat, range(len(runs)), runs)))
        self.combinations = _Combinations([sources[i] for i in self.order])

    def positions(self, person: int) -> range:
        return range(self.slices[person].start, self.slices[person].stop)


class _Combinations:
    """Each position's combination of quasi-identifiers at given levels, as one
    integer (the values' codes in mixed radix): candidates hash ints far faster
    than tuples of strings. Neighbouring quasi-identifiers are combined in pairs
    once per pair of levels, so a candidate costs two additions per row."""

    def __init__(self, sources: list[_Source]):
        self.columns, radices = [], []
        for q, name in enumerate(QUASI_IDENTIFIERS):
            ladders = [source.ladders[q] for source in sources]
            numbers: list[dict[str, int]] = [{} for _level in LEVELS[name]]
            # The ladders repeat: number each distinct one's values once, then look rows up.
            codes = {
                ladder: tuple(
                    numbers[level].setdefault(value, len(numbers[level])) for level, value in enumerate(ladder)
                )
                for ladder in dict.fromkeys(ladders)
            }
            per_row = list(map(codes.__getitem__, ladders))
            self.columns.append([list(map(operator.itemgetter(level), per_row)) for level in range(len(numbers))])
            radices.append(max(max(len(values) for values in numbers), 1))
        self.scales = [math.prod(radices[q + 1 :]) for q in range(len(radices))]
        self.groups = [tuple(range(q, min(q + 2, len(radices)))) for q in range(0, len(radices), 2)]
        self.parts: dict[tuple, list[int]] = {}

    def __call__(self, vector: tuple[int, ...]) -> list[int]:
        return _sum([self._part(group, tuple(vector[q] for q in group)) for group in self.groups])

    def _part(self, group: tuple[int, ...], levels: tuple[int, ...]) -> list[int]:
        if (group, levels) not in self.parts:
            scaled = [
                list(map(operator.mul, self.columns[q][level], itertools.repeat(self.scales[q])))
                for q, level in zip(group, levels, strict=True)
            ]
            self.parts[group, levels] = _sum(scaled)
        return self.parts[group, levels]


def _sum(columns: list[list[int]]) -> list[int]:
    """Position by position sums of the columns, added in C."""
    return list(functools.reduce(lambda total, column: map(operator.add, total, column), columns))


class _Bounds:
    """How many people must lose at least one row under given levels, in any
    release where every person's set of combinations is shared by k people.

    A person who keeps all their rows keeps their whole set S, so at least k
    people's sets contain S. Where fewer than k people's sets contain S, the
    person loses a row. Generalising only merges combinations, so such a person
    at some levels is one at every finer level too: people found at a coarse
    probe count against every candidate below it. The probes are the top of
    every ladder but one quasi-identifier, held at the candidate's level; one
    probe covers a third or half of all candidates."""

    def __init__(self, people: _People, k: int):
        self.people, self.k = people, k
        self.top = tuple(len(LEVELS[name]) - 1 for name in QUASI_IDENTIFIERS)
        self.probes: dict[tuple[int, ...], int] = {}  # probe -> its people, as a bitset

    def must_lose(self, vector: tuple[int, ...]) -> int:
        found = 0
        for q, level in enumerate(vector):
            if level < self.top[q]:
                found |= self._probe(self.top[:q] + (level,) + self.top[q + 1 :])
        return found.bit_count()

    def _probe(self, vector: tuple[int, ...]) -> int:
        if vector not in self.probes:
            keys = self.people.combinations(vector)
            sets = list(map(frozenset, map(keys.__getitem__, self.people.slices)))
            holders = _bitsets(sets)
            short = {combos for combos in set(sets) if _common(holders, combos).bit_count() < self.k}
            members = itertools.compress(range(len(sets)), map(short.__contains__, sets))
            self.probes[vector] = _bitset(members, (len(sets) + 7) // 8)
        return self.probes[vector]


def _bitsets(sets: list[frozenset]) -> dict[int, int]:
    """For each combination, the people (by position in sets) who have it, as a bitset."""
    people = defaultdict(list)
    for person, combos in enumerate(sets):
        for key in combos:
            people[key].append(person)
    size = (len(sets) + 7) // 8
    return {key: _bitset(members, size) for key, members in people.items()}


def _bitset(members, size: int) -> int:
    bits = bytearray(size)
    for member in members:
        bits[member >> 3] |= 1 << (member & 7)
    return int.from_bytes(bits, "little")


def _common(holders: dict[int, int], combos: frozenset) -> int:
    """The people who have every combination in combos."""
    return functools.reduce(operator.and_, map(holders.__getitem__, combos))


def _withhold(keys: list[int], people: _People, k: int, *, limit: int | None = None) -> set[int] | None:
    """Rows to withhold so every combination, and every person's set of
    combinations, is shared by at least k people. keys holds each position's
    combination (see _People); the answer is in rows.

    Rows in a combination of fewer than k people go first. Then each person
    whose set of combinations fewer than k people share keeps only their first
    row (or none, if that is all they have), which can leave other combinations
    small, and so on until nothing changes. The counts are kept up to date as
    rows go, rather than taken again over every row each round.

    With a limit, None as soon as more than `limit` rows would go: the set only
    grows, so the caller learns "over the limit" without finishing."""
    over = (lambda count: False) if limit is None else (lambda count: count > limit)
    of_position = people.of_position
    # Each person's set of combinations, then the people in each combination, counted in C.
    sets = list(map(frozenset, map(keys.__getitem__, people.slices)))
    per_key = Counter(itertools.chain.from_iterable(sets))
    # A small combination has at least as many rows as people: often verdict enough.
    if over(_people_in_small_groups(per_key, k)):
        return None
    small = {key for key, count in per_key.items() if count < k}
    active = bytearray(b"\x01") * len(keys)
    withheld: list[int] = []
    going = _positions_with(keys, small, active)
    changed: set[int] = set()  # people who lost rows since their set was taken
    shared = None
    while True:
        if going:
            withheld += going
            if over(len(withheld)):
                return None
            now_small = set()
            for n in going:
                active[n] = 0
                person, key = of_position[n], keys[n]
                changed.add(person)
                if not any(active[m] and keys[m] == key for m in people.positions(person)):
                    per_key[key] -= 1
                    if per_key[key] == k - 1:
                        now_small.add(key)
            going = _positions_with(keys, now_small, active)
            continue
        shared = shared if shared is not None else Counter(sets)
        for person in changed:
            shared[sets[person]] -= 1
            sets[person] = frozenset(keys[m] for m in people.positions(person) if active[m])
            shared[sets[person]] += 1
        changed = set()
        shared.pop(frozenset(), None)  # people with no rows left
        # Every person with a rare set gives up at least one row: often verdict enough.
        if over(len(withheld) + _people_in_small_groups(shared, k)):
            return None
        rare = {combos for combos, count in shared.items() if 0 < count < k}
        if not rare:
            return {people.order[n] for n in withheld}
        for person in itertools.compress(range(len(sets)), map(rare.__contains__, sets)):
            mine = [m for m in people.positions(person) if active[m]]
            # Keep a person's first row where that alone could pass; otherwise none.
            going += mine[1:] if len(mine) > 1 else mine
            if over(len(withheld) + len(going)):
                return None


def _people_in_small_groups(people: Counter, k: int) -> int:
    """How many people are in groups of fewer than k, counted through a histogram of the group sizes."""
    return sum(size * groups for size, groups in Counter(people.values()).items() if size < k)


def _positions_with(keys: list[int], wanted: set[int], active: bytearray) -> list[int]:
    """The active positions whose combination is one of wanted."""
    if not wanted:
        return []
    return [n for n in itertools.compress(range(len(keys)), map(wanted.__contains__, keys)) if active[n]]


def release_build(*, project: ResearchProject, course: str = "", year: str = "") -> Release:
    """The project's release, optionally narrowed to whole released combinations."""
    with _without_cycle_collection():
        sources = _sources()
        vector, withheld = _choose_levels(sources, project.k) if sources else ((0,) * len(QUASI_IDENTIFIERS), set())
        rows = _rows(project, sources, vector, withheld)
    levels = {name: LEVELS[name][level] for name, level in zip(QUASI_IDENTIFIERS, vector, strict=True)}
    release = Release(project, levels, rows, len(withheld), len(sources), timezone.now())
    _apply_filters(release, course=course, year=year)
    return release


def _rows(project: ResearchProject, sources: list[_Source], vector: tuple[int, ...], withheld: set[int]) -> list[dict]:
    """The released rows: every column in order, empty where there is no answer."""
    key = project_key(project)
    pseudonyms = {person: _pseudonym(key, person) for person in dict.fromkeys(s.person for s in sources)}
    empty = dict.fromkeys(PARTICIPANT_COLUMNS, "")
    rows = []
    for i, source in enumerate(sources):
        if i in withheld:
            continue
        row = empty.copy()
        row["participant"] = pseudonyms[source.person]
        for name, ladder, level in zip(QUASI_IDENTIFIERS, source.ladders, vector, strict=True):
            row[name] = ladder[level]
        row.update(source.answers)
        # An answer under no column (a follow-up wave the portal no longer asks) is left out.
        rows.append(row if len(row) == len(empty) else {column: row[column] for column in PARTICIPANT_COLUMNS})
    return rows


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
