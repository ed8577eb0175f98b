"""Outbox throughput: one real Celery worker against a bare smtplib loop.

Creates (and drops first) a PostgreSQL database for itself, migrates it, starts
an aiosmtpd sink in its own process, then in one run:

1. writes N messages to the outbox in one transaction; as it commits, one send
   task per 100 rows is published to Redis (no worker is running yet);
2. sends the same N messages with a bare smtplib loop over one connection,
   twice: with the messages built in advance (the SMTP ceiling), and building
   each message in the loop;
3. starts one worker (concurrency 1) and times it draining the outbox into the
   same sink, from its first claim to its last row marked sent. It checks that
   the sink received each row exactly once.

It prints emails per second for each and the ratios (target: at least 0.5).

    .venv/bin/python bench/outbox.py [--count 5000]

Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/np_bench)
and BENCH_REDIS_URL (default redis://127.0.0.1:6379/14). The Redis database is
purged of queued tasks before the run.
"""

import argparse
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/np_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the SMTP sink, in its own process so it does not share a GIL with either sender


def _run_sink(port: int, received, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.port = _free_port()
        self.received = context.Value("i", 0)
        self._ready, self._stop = context.Event(), context.Event()
        self._process = context.Process(
            target=_run_sink, args=(self.port, self.received, self._ready, self._stop), daemon=True
        )

    def __enter__(self):
        self._process.start()
        if not self._ready.wait(30):
            raise SystemExit("The SMTP sink did not start.")
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._process.join(10)


# --- setup


def _create_database() -> None:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if not name.startswith(("np_bench", "bench")):
        raise SystemExit(f"Refusing to drop {name!r}: the bench database name must start with np_bench or bench.")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(maintenance)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def _environment(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="localhost",
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="network_portal.settings",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def _setup_django() -> None:
    os.environ.update(_environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the two ways of sending


def _queue_rows(count: int) -> None:
    from django.db import transaction
    from django.template import engines

    from network_portal.outbox import queue_email

    django_engine = engines["django"]
    text = django_engine.from_string(
        '{% extends "emails/base.txt" %}{% block content %}Dear {{ name }},\n\n'
        "The network meets on Tuesday 31 March at 18:00. Join online: {{ site_url }}/meetings/12/\n{% endblock %}"
    )
    html = django_engine.from_string(
        '{% extends "emails/base.html" %}{% block content %}<p>Dear {{ name }},</p>'
        '<p>The network meets on Tuesday 31 March at 18:00. <a href="{{ site_url }}/meetings/12/">Join online</a>.</p>'
        "{% endblock %}"
    )
    with transaction.atomic():
        for n in range(count):
            context = {
                "name": f"Councillor {n}",
                "site_url": "https://network.example.org",
                "contact_email": "info@example.org",
                "reason": "You get this email because you registered for this meeting.",
            }
            queue_email(
                to_email=f"member{n}@example.org",
                subject="Reminder: network meeting in 7 days",
                body_text=text.render(context),
                body_html=html.render(context),
                kind="bench",
                dedupe_key=f"bench:meeting:12:member:{n}:7d",
            )


def _bare_loop(port: int, *, prebuilt: bool) -> float:
    """The same messages over one plain smtplib connection."""
    from django.conf import settings

    from network_portal.models import OutboxEmail
    from network_portal.outbox.services import _build_message

    rows = list(OutboxEmail.objects.filter(kind="bench").order_by("pk"))

    def as_bytes(email) -> bytes:
        return _build_message(email).message().as_bytes(linesep="\r\n")

    messages = [as_bytes(email) for email in rows] if prebuilt else []
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for index, email in enumerate(rows):
            message = messages[index] if prebuilt else as_bytes(email)
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [email.to_email], message)
    return time.perf_counter() - started


def _start_worker(sink_port: int, log: Path) -> subprocess.Popen:
    from network_portal.celery import app, worker_command

    process = subprocess.Popen(
        worker_command(hostname="bench@%h"),
        cwd=ROOT,
        env=_environment(EMAIL_URL=f"smtp://127.0.0.1:{sink_port}"),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"The worker did not start; see {log}")
    return process


def _wait_until_drained(log: Path) -> None:
    from network_portal.models import OutboxEmail

    deadline = time.monotonic() + 900
    while OutboxEmail.objects.filter(kind="bench").exclude(status=OutboxEmail.Status.SENT).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"The worker did not drain the outbox in time; see {log}")
        time.sleep(0.2)


def _check_exactly_once(delivered: int, count: int) -> None:
    from network_portal.models import OutboxEmail

    if delivered != count:
        raise SystemExit(f"The sink got {delivered} messages from the worker, expected {count}.")
    attempts = set(OutboxEmail.objects.filter(kind="bench").values_list("attempts", flat=True))
    if attempts != {1}:
        raise SystemExit(f"Some rows were claimed more than once: attempts {attempts}")


def _drain_seconds() -> float:
    """From the worker's first claim to its last row marked sent."""
    from django.db.models import Max, Min

    from network_portal.models import OutboxEmail

    span = OutboxEmail.objects.filter(kind="bench").aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    return (span["last"] - span["first"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    log = ROOT / "var" / "bench-outbox-worker.log"
    log.parent.mkdir(exist_ok=True)

    _create_database()
    with Sink() as sink:
        _setup_django()
        from network_portal.celery import app

        app.control.purge()
        started = time.perf_counter()
        _queue_rows(args.count)
        queued = time.perf_counter() - started

        seconds = {
            "bare, messages built in advance": _bare_loop(sink.port, prebuilt=True),
            "bare, building each message": _bare_loop(sink.port, prebuilt=False),
        }
        before = sink.received.value
        worker = _start_worker(sink.port, log)
        try:
            _wait_until_drained(log)
        finally:
            worker.terminate()
            worker.wait(30)
        _check_exactly_once(sink.received.value - before, args.count)
        seconds["outbox, one worker (concurrency 1)"] = _drain_seconds()

    rates = {name: args.count / value for name, value in seconds.items()}
    print(f"{args.count} emails; rows written and send tasks published in {queued:.2f} s")
    for name, value in seconds.items():
        print(f"  {name:<38} {value:7.2f} s {rates[name]:7.0f} emails/s")
    worker_rate = rates["outbox, one worker (concurrency 1)"]
    for name in list(rates)[:2]:
        print(f"  ratio outbox / {name:<31} {worker_rate / rates[name]:5.2f}  (target >= 0.5)")


if __name__ == "__main__":
    main()
