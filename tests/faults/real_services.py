"""Real services a fault drill can break: a private redis-server, a slow SMTP
sink, and a way to SIGKILL a Celery worker with its pool processes."""

import asyncio
import os
import signal
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

from network_portal.celery import app as celery_app
from tests.network_portal.smtp import SinkHandler, SmtpSink, free_port


class RedisServer:
    """A redis-server of our own on a free port, so stopping it breaks nobody
    else's tests. Nothing is persisted: a restart comes back empty, as after a crash."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()


@contextmanager
def celery_broker(url: str):
    """Point this process's Celery app (publishing and control) at url."""
    original = celery_app.conf.broker_url
    _forget_broker_pools()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        _forget_broker_pools()
        celery_app.conf.broker_url = original


def _forget_broker_pools() -> None:
    # The app caches its connection and producer pools for the URL it first used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class SlowHandler(SinkHandler):
    """Keeps each message, then waits before saying "250 accepted": a worker
    killed during the wait has handed the message over without knowing it."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return reply


def slow_smtp_sink(delay: float) -> SmtpSink:
    sink = SmtpSink()
    sink.handler = SlowHandler(delay)
    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=sink.port, timeout=300)
    return sink


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children, as the OOM killer would."""
    for pid in [*_children(process.pid), process.pid]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def pool_children(process: subprocess.Popen) -> list[int]:
    """The pool processes of a running worker (its children)."""
    return _children(process.pid)
