"""Count queries and time every covered page against the current database.

Run against a database loaded by `manage.py seed_scale`:
    DEBUG=1 DATABASE_URL=postgres://.../np_perf .venv/bin/python bench/probe.py
"""

import os
import sys
import time
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
    setup_test_environment()
    clients = {"anon": Client(), "member": Client(), "staff": Client()}
    log_in(clients["member"], busiest_member().user)
    log_in(clients["staff"], staff_user())
    verbose = "-v" in sys.argv
    for name, (who, path) in page_urls().items():
        cache.clear()
        clients[who].get(path)  # warm: sessions, content types, cached figures
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = clients[who].get(path)
            elapsed = (time.perf_counter() - started) * 1000
        print(f"{name:<24} {response.status_code} {len(queries):>3} queries {elapsed:7.1f} ms  {path}")
        if verbose:
            for q in queries.captured_queries:
                print(f"      {q['time']}s {q['sql'][:300]}")


if __name__ == "__main__":
    main()
