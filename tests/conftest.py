import importlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from celery._state import _set_task_join_will_block
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection

from network_portal.celery import app as celery_app
from network_portal.celery import worker_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _staff_force_login_passes_mfa(monkeypatch):
    # Privileged pages require MFA (network_portal.middleware.PrivilegedMfaMiddleware).
    # force_login already skips the password; for privileged accounts it also
    # skips the TOTP step. tests/security tests the real MFA flow through
    # allauth's login, and force_login_without_mfa signs in with no MFA step.
    from django.test import Client

    from tests.security.mfa import force_login_with_mfa

    monkeypatch.setattr(Client, "force_login", force_login_with_mfa)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest needs collectstatic; tests serve static files from the source folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def celery_eager():
    """Run tasks in-process unless a test asks for a real worker.

    Set here, per test, never in settings: production always uses a worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
    # An eager task run in a thread leaves Celery's process-wide "joining would
    # block" flag set, which breaks result.get() in later real-worker tests.
    _set_task_join_will_block(False)


@pytest.fixture
def london_councils(db):
    """The 33 councils. Transactional tests flush the migration's rows, so reload them."""
    Council = django_apps.get_model("members", "Council")
    if not Council.objects.exists():
        for name in ("0002_load_london_councils", "0009_load_councillor_seats", "0011_load_council_subregions"):
            importlib.import_module(f"members.migrations.{name}").load(django_apps, None)
    return Council.objects.all()


def _worker_env(**extra) -> dict:
    env = dict(os.environ)
    db = connection.settings_dict
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DJANGO_SETTINGS_MODULE="network_portal.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start real Celery workers on the Redis broker, against the test database.

    Call start(**env) to launch one; every worker is stopped at teardown."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    workers = []

    def start(concurrency: int = 1, queues: str = "", **env) -> subprocess.Popen:
        (ROOT / "var").mkdir(exist_ok=True)
        log = open(ROOT / "var" / f"test-worker-{len(workers)}.log", "w")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(
            worker_command(hostname=f"test{len(workers)}@%h", concurrency=concurrency, queues=queues),
            cwd=ROOT,
            env=_worker_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append((process, log))
        _wait_until_ready(process)
        return process

    yield start
    for process, log in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _wait_until_ready(process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Celery worker exited during start-up; see var/test-worker-*.log")
        replies = celery_app.control.ping(timeout=0.5)
        if replies:
            return
    raise RuntimeError("Celery worker did not answer a ping in time")
