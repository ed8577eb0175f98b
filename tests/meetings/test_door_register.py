"""The meeting door register shares the training page's shape; meetings supply
the rows and the service calls."""

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Registration
from members.models import Member
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _today_meeting():
    starts = timezone.now().replace(second=0, microsecond=0)
    return MeetingFactory(starts_at=starts, ends_at=starts + timezone.timedelta(hours=2))


def test_register_lists_registered_people_and_marks_them(staff_client):
    meeting = _today_meeting()
    registration = RegistrationFactory(meeting=meeting, user=MemberFactory().user)
    page = staff_client.get(reverse("meetings:door-register", args=[meeting.slug])).content.decode()
    assert str(registration.user) in page
    assert "1 on the register" in page
    response = staff_client.post(
        reverse("meetings:door-mark", args=[meeting.slug, registration.pk]), {"state": "no-show"}
    )
    assert response["Location"].endswith(f"#person-{registration.pk}")
    registration.refresh_from_db()
    assert registration.attendance == Registration.Attendance.ABSENT


def test_marking_a_registration_of_another_meeting_is_404_and_changes_nothing(staff_client):
    meeting = _today_meeting()
    elsewhere = RegistrationFactory(meeting=_today_meeting())
    url = reverse("meetings:door-mark", args=[meeting.slug, elsewhere.pk])
    assert staff_client.post(url, {"state": "attended"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.attendance == Registration.Attendance.UNKNOWN


def test_walk_in_is_registered_as_attended(staff_client):
    meeting = _today_meeting()
    walk_in = MemberFactory()
    staff_client.post(reverse("meetings:door-walk-in", args=[meeting.slug]), {"member": walk_in.pk})
    registration = Registration.objects.get(meeting=meeting, user=walk_in.user)
    assert registration.status == Registration.Status.REGISTERED
    assert registration.attendance == Registration.Attendance.ATTENDED


def test_walk_in_before_the_day_is_refused_and_adds_nothing(staff_client):
    meeting = MeetingFactory()
    walk_in = MemberFactory()
    response = staff_client.post(
        reverse("meetings:door-walk-in", args=[meeting.slug]), {"member": walk_in.pk}, follow=True
    )
    assert "from the day of the meeting" in response.content.decode()
    assert not Registration.objects.filter(meeting=meeting).exists()


def test_walk_in_of_a_pending_member_is_404(staff_client):
    meeting = _today_meeting()
    pending = MemberFactory(status=Member.Status.PENDING)
    response = staff_client.post(reverse("meetings:door-walk-in", args=[meeting.slug]), {"member": pending.pk})
    assert response.status_code == 404
    assert not Registration.objects.filter(meeting=meeting).exists()


def test_meeting_admin_links_to_the_door_register(staff_client):
    meeting = MeetingFactory()
    page = staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).content.decode()
    assert reverse("meetings:door-register", args=[meeting.slug]) in page
