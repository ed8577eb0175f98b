"""Booking under load: 200 concurrent booking requests over HTTP at sessions with 20 seats.

    .venv/bin/python bench/booking.py [--requests 200] [--sessions 5] [--capacity 20]

Each request comes from its own approved member, logged in with a session made
in the store, through gunicorn with production settings on PostgreSQL. All
requests are released at once; afterwards it counts confirmed bookings per
session from the database and shows any seat booked beyond capacity.
"""

import argparse
import http.client
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import gunicorn, manage, production_env  # noqa: E402


def main():
    args = _arguments()
    env = production_env(args.database_url, args.redis_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)  # this process makes the sessions, so it needs the server's SECRET_KEY

    import django

    django.setup()
    sessions, bookers = _fixtures(args)
    log_path = Path("/tmp/np-bench-booking-gunicorn.log")
    with gunicorn(env, workers=args.workers, log_path=log_path) as (base, _pid):
        results = _fire(base, sessions, bookers)
    _report(args, sessions, results)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=5, help="sessions the requests are spread over")
    parser.add_argument("--capacity", type=int, default=20)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2, help="gunicorn workers")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/np_perf")
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    return parser.parse_args()


def _fixtures(args):
    """Fresh sessions and members for this run, so repeated runs do not interfere."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from bench.sessions import session_key
    from members.models import Council, Member, User
    from training.models import Course, Session

    run = secrets.token_hex(3)
    starts = timezone.now() + timedelta(days=30)
    course = Course.objects.order_by("pk").first()
    councils = list(Council.objects.order_by("pk"))
    sessions = Session.objects.bulk_create(
        Session(
            course=course,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="Bench Hall",
            capacity=args.capacity,
            status=Session.Status.PUBLISHED,
        )
        for _ in range(args.sessions)
    )
    users = User.objects.bulk_create(
        User(
            email=f"booker{n}-{run}@scale.invalid",
            first_name="Bench",
            last_name=f"Booker {n}",
            password=make_password(None),
        )
        for n in range(args.requests)
    )
    EmailAddress.objects.bulk_create(EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users)
    Member.objects.bulk_create(
        Member(user=u, role=Member.Role.COUNCILLOR, council=councils[n % len(councils)], status=Member.Status.APPROVED)
        for n, u in enumerate(users)
    )
    csrf = get_random_string(32)  # an unmasked CSRF secret: letters and digits only
    bookers = [(session_key(u), csrf, sessions[n % len(sessions)].pk) for n, u in enumerate(users)]
    return sessions, bookers


def _fire(base: str, sessions, bookers):
    from django.conf import settings

    url = urlsplit(base)
    start = threading.Barrier(len(bookers))
    results = [None] * len(bookers)

    def book(i, key, csrf, session_id):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
            "Content-Length": "0",
        }
        connection.connect()
        start.wait()
        began = time.perf_counter()
        connection.request("POST", f"/training/sessions/{session_id}/book/", headers=headers)
        response = connection.getresponse()
        response.read()
        results[i] = (response.status, time.perf_counter() - began, time.perf_counter())
        connection.close()

    threads = [threading.Thread(target=book, args=(i, *b)) for i, b in enumerate(bookers)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return {"results": results, "began": began}


def _report(args, sessions, fired) -> None:
    from django.db.models import Count, Q

    from training.models import Booking, Session

    results = fired["results"]
    latencies = sorted(r[1] * 1000 for r in results)
    wall = max(r[2] for r in results) - fired["began"]
    statuses = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{len(results)} concurrent booking requests over HTTP, {args.workers} gunicorn workers")
    print(f"responses: {dict(sorted(statuses.items()))}  (302 = booked, waitlisted or refused, then redirected)")
    print(
        f"throughput {len(results) / wall:.1f} requests/s; p50 {statistics.median(latencies):.0f} ms; "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.0f} ms; wall {wall:.2f} s"
    )
    counted = Session.objects.filter(pk__in=[s.pk for s in sessions]).annotate(
        confirmed=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
        waiting=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
    )
    overbooked = 0
    print(f"{'session':>8} {'capacity':>8} {'confirmed':>9} {'waiting':>8} {'overbooked':>10}")
    for s in counted.order_by("pk"):
        over = max(0, s.confirmed - s.capacity)
        overbooked += over
        print(f"{s.pk:>8} {s.capacity:>8} {s.confirmed:>9} {s.waiting:>8} {over:>10}")
    print(f"overbooked seats in total: {overbooked}")


if __name__ == "__main__":
    main()
