"""Print the queries each page runs, one "count path" line per "cookie path" line on stdin.

Run by load.py with the server's environment (same settings, same SECRET_KEY), so
the count is the one a request under wrk pays: after one warm-up request, with
the figures and fragment caches in the state the benchmark leaves them."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def count(cookie: str, path: str) -> int:
    client = Client()
    if cookie != "-":
        name, _, value = cookie.partition("=")
        client.cookies[name] = value
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return len(queries)


if __name__ == "__main__":
    setup_test_environment()
    for line in sys.stdin:
        cookie, path = line.split()
        print(count(cookie, path), path, flush=True)
