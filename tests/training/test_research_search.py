"""The release's search for generalisation levels prunes and stops early; it must
choose exactly what trying every level exhaustively chooses."""

import itertools
import random
from collections import Counter, defaultdict

import pytest

from training import research


def _exhaustive_withhold(keys, persons, k):
    # The rule stated plainly: withhold rows in small combinations, then people
    # with rare sets of combinations (keeping their first row), until stable.
    withheld = set()
    while True:
        active = [i for i in range(len(keys)) if i not in withheld]
        people = defaultdict(set)
        for i in active:
            people[keys[i]].add(persons[i])
        small = {i for i in active if len(people[keys[i]]) < k}
        if small:
            withheld |= small
            continue
        rows_of = defaultdict(list)
        for i in active:
            rows_of[persons[i]].append(i)
        sets = {person: frozenset(keys[i] for i in rows) for person, rows in rows_of.items()}
        shared = Counter(sets.values())
        rare = [person for person, combo in sets.items() if shared[combo] < k]
        if not rare:
            return withheld
        for person in rare:
            rows = rows_of[person]
            withheld |= set(rows[1:]) if len(rows) > 1 else set(rows)


def _exhaustive_choice(sources, k):
    persons = [s.person for s in sources]
    limit = int(research.SUPPRESSION_LIMIT * len(sources))
    best = None
    for vector in itertools.product(*(range(len(research.LEVELS[name])) for name in research.QUASI_IDENTIFIERS)):
        keys = [tuple(ladder[level] for ladder, level in zip(s.ladders, vector, strict=True)) for s in sources]
        withheld = _exhaustive_withhold(keys, persons, k)
        over = len(withheld) > limit
        score = (over, len(withheld) if over else 0, sum(vector), len(withheld), vector)
        if best is None or score < best[0]:
            best = (score, vector, withheld)
    return best[1], best[2]


def _population(rng, people, councils, courses):
    sources = []
    for person in range(people):
        council = rng.randrange(councils)
        role = rng.choice(["councillor", "officer"])
        for _ in range(rng.choice([1, 1, 2, 3])):
            month = rng.randrange(1, 13)
            ladders = (
                (f"C{council}", f"R{council % 3}", research.ANY),
                (role, research.ANY),
                (f"C{rng.randrange(councils)}", f"R{rng.randrange(3)}", research.ANY),
                (f"Course {rng.randrange(courses)}", research.ANY),
                (f"2025-{month:02d}", f"2025-Q{(month - 1) // 3 + 1}", "2025"),
            )
            sources.append(research._Source(person, (len(sources),), ladders, {}))
    return sources


@pytest.mark.parametrize("seed", range(8))
def test_the_pruned_search_chooses_what_the_exhaustive_search_chooses(seed):
    rng = random.Random(seed)
    sources = _population(rng, people=rng.randrange(20, 160), councils=rng.randrange(2, 8), courses=rng.randrange(1, 4))
    k = rng.choice([2, 3, 5])
    assert research._choose_levels(sources, k) == _exhaustive_choice(sources, k)


def test_when_no_level_withholds_few_enough_the_fewest_withheld_wins():
    # Five people, each alone in every combination at k=6: everything is withheld whatever the level.
    sources = _population(random.Random(1), people=5, councils=5, courses=2)
    assert research._choose_levels(sources, 6) == _exhaustive_choice(sources, 6)
    assert len(research._choose_levels(sources, 6)[1]) == len(sources)


@pytest.mark.parametrize("seed", range(8, 14))
def test_the_search_matches_on_larger_populations_with_repeated_combinations(seed):
    # More people, fewer councils and courses: people often repeat a combination,
    # and withholding one of their rows must not count them out of it.
    rng = random.Random(seed)
    people, councils, courses = rng.randrange(200, 400), rng.randrange(1, 4), rng.randrange(1, 3)
    sources = _population(rng, people=people, councils=councils, courses=courses)
    k = rng.choice([2, 4, 7])
    assert research._choose_levels(sources, k) == _exhaustive_choice(sources, k)


@pytest.mark.parametrize("seed", range(4))
def test_people_who_must_lose_a_row_never_outnumber_the_rows_withheld(seed):
    # The bound that lets the search skip candidates must be a true lower bound at every level.
    rng = random.Random(seed)
    sources = _population(rng, people=rng.randrange(100, 300), councils=rng.randrange(2, 6), courses=2)
    k = rng.choice([3, 5])
    people = research._People(sources)
    bounds = research._Bounds(people, k)
    for vector in itertools.product(*(range(len(research.LEVELS[name])) for name in research.QUASI_IDENTIFIERS)):
        withheld = research._withhold(people.combinations(vector), people, k)
        assert withheld == _exhaustive_withhold(_keys(sources, vector), _persons(sources), k)
        assert bounds.must_lose(vector) <= len(withheld)


def _keys(sources, vector):
    return [tuple(ladder[level] for ladder, level in zip(s.ladders, vector, strict=True)) for s in sources]


def _persons(sources):
    return [s.person for s in sources]
