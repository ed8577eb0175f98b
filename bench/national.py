"""National-scale benchmark (issue 18, item 4). Not a unit test: it needs two loaded databases.

    createdb np_perf_national
    DATABASE_URL=postgres://.../np_perf_national manage.py migrate
    DATABASE_URL=postgres://.../np_perf_national manage.py seed_scale --preset national
    .venv/bin/python bench/national.py [--default-url URL] [--national-url URL]

For every page in bench/pages.py it counts the queries (cold: the figures cache
cleared after a warm-up request) against the default-size and the national
database and requires the same count. It times, at national size and against a
10 s limit, the staff dashboard, the research page and the research package as
an evaluator downloads it (the release and its zip, for a benchmark project the
staff user may download; bench/research.py times the package's steps), and
prints the EXPLAIN ANALYZE plans of the three slowest queries seen at national
size.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BUILD_LIMIT_S = 10.0
TIMED = {
    "dashboard": "/training/dashboard/",
    "research page": "/training/research/",
}
BENCH_PROJECT = "Benchmark (national.py)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default-url", default="postgres://root@127.0.0.1:5432/np_perf")
    parser.add_argument("--national-url", default="postgres://root@127.0.0.1:5432/np_perf_national")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure()
        return
    default, national = _run(args.default_url), _run(args.national_url)
    print(f"load average before/after: {default['load']} / {national['load']}\n")
    print(f"| {'Page':<24} | {'queries, default':>16} | {'queries, national':>17} | {'ms, national':>12} | same")
    print(f"|{'-' * 26}|{'-' * 17}:|{'-' * 18}:|{'-' * 13}:|-----")
    failures = 0
    for name, (count, _ms) in default["pages"].items():
        n_count, n_ms = national["pages"][name]
        same = count == n_count
        failures += not same
        print(f"| {name:<24} | {count:>16} | {n_count:>17} | {n_ms:>12.0f} | {'yes' if same else 'NO'}")
    print(f"\n| {'Build, national size':<28} | {'seconds':>8} | within {BUILD_LIMIT_S:.0f} s")
    print(f"|{'-' * 30}|{'-' * 9}:|------")
    for name, seconds in national["timed"].items():
        within = seconds < BUILD_LIMIT_S
        failures += not within
        print(f"| {name:<28} | {seconds:>8.2f} | {'yes' if within else 'NO'}")
    print("\nThe three slowest queries at national size:\n")
    for query in national["slowest"]:
        print(f"-- {query['page']}: {query['ms']:.1f} ms\n{query['sql'][:800]}\n")
        print("\n".join(f"    {line}" for line in query["plan"]) + "\n")
    sys.exit(1 if failures else 0)


def _run(database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1", PUBLIC_PAGE_MAX_AGE="0", PYTHONPATH=str(ROOT))
    started_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    output = subprocess.run(
        [PYTHON, __file__, "--measure"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(output.splitlines()[-1])
    result["load"] = started_load
    return result


def _measure() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from bench.pages import busiest_member, page_urls
    from bench.sessions import log_in, staff_user

    setup_test_environment()
    clients = {"anon": Client(), "member": Client(), "staff": Client()}
    log_in(clients["member"], busiest_member().user)
    log_in(clients["staff"], staff_user())
    pages, seen = {}, []
    for name, (who, path) in page_urls().items():
        clients[who].get(path)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = clients[who].get(path)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
        pages[name] = (len(queries), elapsed)
        seen += [(float(q["time"]) * 1000, name, q["sql"]) for q in queries.captured_queries]
    timed = {}
    staff = staff_user()
    package = reverse("training:research-package", args=[_research_project(staff).pk])
    for label, path in {**TIMED, "research package": package}.items():
        cache.clear()
        started = time.perf_counter()
        response = clients["staff"].get(path)
        b"".join(response) if response.streaming else response.content
        timed[label] = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
    slowest = []
    for ms, name, sql in sorted((s for s in seen if s[2].lstrip().upper().startswith("SELECT")), reverse=True)[:3]:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}")
            plan = [line for (line,) in cursor.fetchall()]
        slowest.append({"page": name, "ms": ms, "sql": sql, "plan": plan})
    print(json.dumps({"pages": pages, "timed": timed, "slowest": slowest}))


def _research_project(user):
    """A project the benchmark's staff user may download, as an evaluator would."""
    from training.models import ResearchProject

    today = date.today()
    project, _ = ResearchProject.objects.get_or_create(
        name=BENCH_PROJECT,
        defaults={"evaluator_organisation": "Benchmark", "purpose": "Timing the research package.",
                  "agreement_signed_on": today - timedelta(days=1), "expires_on": today + timedelta(days=3650)},
    )  # fmt: skip
    project.researchers.add(user)
    return project


if __name__ == "__main__":
    main()
