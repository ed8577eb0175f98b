"""`make run`'s demo content shows what each page is for, and says it is demo."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from members.models import Appointment, Council
from resources.models import Resource
from training.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path, london_councils):
    settings.DEMO_MODE = True
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_prints_a_demo_member_login_that_works(seeded):
    line = next(line for line in seeded.splitlines() if line.startswith("Demo member (approved"))
    email, password = line.split(": ", 1)[1].split(" / ")
    user = authenticate(email=email, password=password)
    assert user is not None and user.member.is_approved
    assert "(demo)" in user.last_name
    assert "Demo staff login: demo-staff@example.org / " in seeded


def test_demo_champions_trainees_and_a_housing_debt_resource(seeded):
    champion_councils = Council.objects.filter(appointments__in=Appointment.objects.current()).distinct()
    assert champion_councils.count() >= 4
    trained = Booking.objects.filter(attended=Booking.Attended.YES).values("council").distinct()
    assert trained.count() >= 4
    found = list(Resource.objects.published().search("housing debt"))
    assert found and all("(demo" in resource.title for resource in found)
