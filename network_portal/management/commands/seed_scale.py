"""Generate network-scale data in bulk, for query budgets, EXPLAIN and load tests.

Each app contributes its own steps (network_portal/seeding.py says how). The
command refuses to run twice on the same database, because the point is a
known volume, not an ever-growing one.
"""

import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from network_portal.seeding import SCALE_DOMAIN, Seeder, default_volume

# Multipliers of every app's default volume. "national" is a network of every London-sized
# region at once: 100,000 members, 10,000 sessions with 200,000 bookings, the rest in proportion.
PRESETS = {"default": 1, "national": 5}


class Command(BaseCommand):
    help = "Generate labelled data at network scale (defaults: 20,000 members, 40,000 bookings, ...)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--preset", choices=PRESETS, default="default", help="default, or national: five times every volume."
        )
        for name, default in default_volume().items():
            parser.add_argument(
                f"--{name}", type=int, help=f"How many {name} (default {default}; the preset multiplies it)."
            )
        parser.add_argument("--seed", type=int, default=8, help="Random seed, so runs are repeatable.")

    def handle(self, *args, **options):
        if get_user_model().objects.filter(email__endswith=f"@{SCALE_DOMAIN}").exists():
            raise CommandError("Scale data is already loaded in this database; use a fresh database.")
        started = time.monotonic()
        factor = PRESETS[options["preset"]]
        volume = {
            name: options[name] if options[name] is not None else default * factor
            for name, default in default_volume().items()
        }
        seeder = Seeder(volume=volume, rng=random.Random(options["seed"]))
        with transaction.atomic():
            for step, count in seeder.run():
                self.stdout.write(f"{step:<14} {count:>8,} rows  ({time.monotonic() - started:5.1f}s)")
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner (and EXPLAIN) sees the new volume at once.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Scale data loaded in {time.monotonic() - started:.1f}s."))
