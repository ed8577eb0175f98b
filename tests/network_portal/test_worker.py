import pytest

from network_portal.tasks import ping


@pytest.mark.worker
def test_task_runs_on_a_real_worker_through_the_redis_broker(celery_worker_process, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    celery_worker_process()
    assert ping.delay().get(timeout=30) == "pong"
