"""Network-scale data for query budgets, EXPLAIN and load tests (`manage.py seed_scale`).

Each app contributes the steps for its own models in its `<app>/seeding.py`:

    seed_steps.register(SeedStep(name="bookings", default=40_000, run=_bookings))

Steps run in the order they are registered, which follows INSTALLED_APPS, so
an app's steps run after those of the apps below it. A step reads what earlier
steps made from the Seeder (seeder.approved, seeder.sessions, ...), leaves what
later steps need on it, and returns how many rows it created.

Every row is labelled: emails end in @scale.invalid and titles start with
"Scale", and no generated account has a usable password.
"""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .registry import Registry

SCALE_DOMAIN = "scale.invalid"
BATCH = 2000


@dataclass(frozen=True)
class SeedStep:
    name: str  # also the command's --<name> option, e.g. "bookings"
    default: int  # how many rows the command makes by default
    run: Callable[["Seeder"], int]


seed_steps: Registry[SeedStep] = Registry("Scale-seed steps", key=lambda step: step.name)


def default_volume() -> dict[str, int]:
    return {step.name: step.default for step in seed_steps}


class Seeder:
    def __init__(self, *, volume: dict[str, int], rng: random.Random, prefix: str = ""):
        self.volume = volume
        self.rng = rng
        # Lets a test load a second, larger batch beside the first without clashing slugs.
        self.prefix = prefix
        self.now = timezone.now()

    def run(self) -> Iterator[tuple[str, int]]:
        for step in seed_steps:
            yield step.name, step.run(self)

    def when(self, *, days_back: int, days_ahead: int = 0):
        return self.now + timedelta(days=self.rng.randint(-days_back, days_ahead), hours=self.rng.randint(0, 23))

    def event_time(self, n: int, *, days_back: int, days_ahead: int):
        # One event in ten is still to come, so even a small volume has something to book.
        if n % 10 == 0:
            when = self.now + timedelta(days=self.rng.randint(2, days_ahead))
        else:
            when = self.now - timedelta(days=self.rng.randint(2, days_back))
        return when.replace(minute=0, second=0, microsecond=0)

    @staticmethod
    def spread(total: int, buckets: int) -> list[int]:
        """Split total across buckets as evenly as integers allow."""
        if buckets == 0:
            return []
        base, extra = divmod(total, buckets)
        return [base + (1 if i < extra else 0) for i in range(buckets)]
