from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=60, retry_backoff_max=600)
def reconfirmation_lapse_overdue():
    return services.reconfirmation_lapse_overdue()


# One task fans a message out to every recipient; each recipient's outbox row
# then goes through the outbox's own send tasks.
@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=60, retry_backoff_max=600)
def message_deliver_task(message_id: int):
    return services.message_deliver(message_id=message_id)
