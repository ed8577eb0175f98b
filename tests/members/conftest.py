import pytest

from tests.factories import service_area_topics


@pytest.fixture
def topics(db):
    return service_area_topics()


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
