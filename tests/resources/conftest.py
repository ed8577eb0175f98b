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
    """The ten service areas. Transactional tests flush the migration's rows, so reload them."""
    import importlib

    from django.apps import apps

    Topic = apps.get_model("resources", "Topic")
    if not Topic.objects.exists():
        importlib.import_module("resources.migrations.0002_service_area_topics").load(apps, None)
    return Topic.objects.all()
