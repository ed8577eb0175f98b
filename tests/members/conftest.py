import importlib

import pytest
from django.apps import apps


@pytest.fixture
def topics(db):
    """The ten service areas. Transactional tests flush the migration's rows, so reload them."""
    Topic = apps.get_model("resources", "Topic")
    if not Topic.objects.exists():
        importlib.import_module("resources.migrations.0002_service_area_topics").load(apps, None)
    return Topic.objects.all()


@pytest.fixture
def camden(london_councils):
    return london_councils.get(slug="camden")


@pytest.fixture
def hackney(london_councils):
    return london_councils.get(slug="hackney")


@pytest.fixture
def staff(django_user_model):
    from tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)
