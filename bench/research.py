"""Time to build the evaluators' research package at seed_scale volume.

Builds the release (k-anonymous generalisation and suppression over every
consented attended booking) and the zip, as the download view does, for a
project that is never saved. Prints the time of each step, best of --repeat.

    DATABASE_URL=postgres://... DEBUG=1 .venv/bin/python bench/research.py [--k 5] [--repeat 3]

Run it against a database loaded by `manage.py seed_scale` (see bench/README.md).
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")


def _timed(repeat, function):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from training import research, research_package
    from training.models import ResearchProject

    project = ResearchProject(
        name="Benchmark", evaluator_organisation="Benchmark", purpose="Timing the release.",
        agreement_signed_on=date.today(), expires_on=date.today(), k=args.k,
    )  # fmt: skip
    load, sources = _timed(args.repeat, research._sources)
    print(f"consented attended bookings: {len(sources):,}  people: {len({s.person for s in sources}):,}  k={args.k}")
    print(f"load bookings        {load:7.2f} s", flush=True)
    choose, (vector, withheld) = _timed(args.repeat, lambda: research._choose_levels(sources, args.k))
    print(f"choose levels        {choose:7.2f} s  (withheld rows: {len(withheld):,})", flush=True)
    build, release = _timed(args.repeat, lambda: research.release_build(project=project))
    print(f"release_build total  {build:7.2f} s  levels: {release.levels}", flush=True)
    package, content = _timed(args.repeat, lambda: research_package.package_bytes(release))
    print(f"package_bytes (zip)  {package:7.2f} s  ({len(content) / 1024:,.0f} KiB, {len(release.rows):,} rows)")
    print(f"release + zip        {build + package:7.2f} s   load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
