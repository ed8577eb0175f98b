from celery import shared_task

from . import retention, schedules
from .outbox.tasks import outbox_purge, outbox_send_task, outbox_sweep  # noqa: F401 - registered for beat


@shared_task(acks_late=True, ignore_result=True)
def scheduled_email_scan():
    return schedules.scheduled_email_scan()


@shared_task(ignore_result=False)
def ping():
    """Answers "pong" through the broker and result backend: the health of the task path."""
    return "pong"


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def retention_run():
    return retention.retention_run().pk
