from celery import shared_task

from . import retention, schedules, services


@shared_task(acks_late=True, ignore_result=True)
def outbox_send_task(*email_ids: int):
    """Send these outbox rows (one, or the batch one transaction wrote)."""
    results = services.outbox_send_many(email_ids=email_ids)
    # Each row's attempts counter bounds its retries. One wake-up, when the
    # last of them is due; if it is lost, the sweep finds them within a minute.
    retry = [result for result in results if result.status == "retry"]
    if retry:
        services.enqueue_send(*[r.email_id for r in retry], countdown=max(r.retry_in for r in retry))


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep():
    return services.outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def outbox_purge():
    return services.outbox_purge()


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
