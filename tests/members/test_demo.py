import io

import pytest

from members import demo
from members.models import Appointment, Member

pytestmark = pytest.mark.django_db


def test_demo_members_are_labelled_and_seeding_twice_adds_nothing(london_councils, topics):
    demo.seed(io.StringIO())
    count = Member.objects.count()
    demo.seed(io.StringIO())

    assert count == len(demo.PEOPLE)
    assert Member.objects.count() == count
    assert all("(demo)" in m.user.last_name and m.user.email.endswith("@example.org") for m in Member.objects.all())
    assert Appointment.objects.current().exists()
