"""The outbox's Celery tasks. Their names are the ones beat and messages
already on the broker use (network_portal.tasks.*), so moving the code here
changed nothing on the wire; network_portal/tasks.py imports this module so
that Celery's autodiscovery registers them."""

from celery import shared_task

from . import services


@shared_task(name="network_portal.tasks.outbox_send_task", acks_late=True, ignore_result=True)
def outbox_send_task(*email_ids: int):
    """Send these outbox rows (one, or the batch one transaction wrote)."""
    results = services.outbox_send_many(email_ids=email_ids)
    # Each row's attempts counter bounds its retries. One wake-up, when the
    # last of them is due; if it is lost, the sweep finds them within a minute.
    retry = [result for result in results if result.status == "retry"]
    for lane in {result.lane for result in retry}:
        ids = [r.email_id for r in retry if r.lane == lane]
        services.enqueue_send(*ids, lane=lane, countdown=max(r.retry_in for r in retry))


@shared_task(name="network_portal.tasks.outbox_sweep", acks_late=True, ignore_result=True)
def outbox_sweep(lane: str | None = None):
    """Beat runs one per lane, each on its lane's queue."""
    return services.outbox_sweep(lane=lane)


@shared_task(name="network_portal.tasks.outbox_purge", acks_late=True, ignore_result=True)
def outbox_purge():
    return services.outbox_purge()
