from celery import shared_task

from . import schedules, services


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def outbox_send_task(self, email_id: int):
    # The row's attempts counter, not Celery's, bounds the retries.
    result = services.outbox_send(email_id=email_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)


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
