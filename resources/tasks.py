from celery import shared_task

from . import services


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=60, retry_jitter=True
)
def digest_send_task() -> int:
    """Monthly partner-updates digest (beat, days 1-3). Idempotent per member per month."""
    return services.digest_send()
