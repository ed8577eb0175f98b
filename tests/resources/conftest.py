import pytest


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test stores uploads in its own private root, never in var/private."""
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    settings.PRIVATE_FILES_ACCEL_PREFIX = ""
    return root


@pytest.fixture
def topics(db):
    from tests.factories import service_area_topics

    return service_area_topics()
