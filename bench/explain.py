"""EXPLAIN ANALYZE the slow queries of every covered page, at the current volume.

    DEBUG=1 DATABASE_URL=postgres://.../np_perf .venv/bin/python bench/explain.py [min_ms]

Prints, per page, each query slower than min_ms (default 5) with its plan."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.pages import busiest_member, page_urls  # noqa: E402
from bench.sessions import log_in, staff_user  # noqa: E402


def main():
    min_ms = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    only = sys.argv[2:]
    setup_test_environment()
    clients = {"anon": Client(), "member": Client(), "staff": Client()}
    log_in(clients["member"], busiest_member().user)
    log_in(clients["staff"], staff_user())
    for name, (who, path) in page_urls().items():
        if only and name not in only:
            continue
        clients[who].get(path)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            clients[who].get(path)
        for query in queries.captured_queries:
            sql = query["sql"]
            if float(query["time"]) * 1000 < min_ms or not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"== {name} {path}  {float(query['time']) * 1000:.1f} ms\n{sql[:600]}\n")
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}")
                for (line,) in cursor.fetchall():
                    print(f"    {line}")
            print()


if __name__ == "__main__":
    main()
