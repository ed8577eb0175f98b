import os
import sys
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")

app = Celery("network_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_stale_db_connections(task=None, **kwargs):
    """Treat each task as Django treats a request: keep a healthy connection
    for CONN_MAX_AGE, drop a broken or expired one.

    Celery's own Django fixup closes every connection around every task, unless
    CELERY_DB_REUSE_MAX is set (settings.py sets it). Reconnecting to PostgreSQL
    for each email cost more than sending it."""
    if task is not None and task.request.is_eager:
        return  # in-process (tests): the caller owns the connection and its transaction
    close_old_connections()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    # The embedded filesystem transport expects its folders to exist already.
    if not str(sender.conf.broker_url).startswith("filesystem"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def worker_command(*, hostname: str, concurrency: int = 1, queues: str = "") -> list[str]:
    """The command line of one prefork worker, as the tests and the benchmark
    start it: no mingle or gossip, so it is ready as soon as it answers a ping."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "network_portal",
        "worker",
        "--loglevel=INFO",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-mingle",
        "--without-gossip",
        f"--hostname={hostname}",
        *([f"--queues={queues}"] if queues else []),
    ]
