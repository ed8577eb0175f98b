import pytest

from tests.factories import service_area_topics

from .factories import member_at


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


@pytest.fixture
def signed_in_member(client, camden):
    """An approved Camden member, signed in on `client`."""
    member = member_at(camden, status="approved")
    client.force_login(member.user)
    return member


@pytest.fixture
def admin_client_(client, staff):
    client.force_login(staff)
    return client
