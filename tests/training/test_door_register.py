"""The training door register: staff mark attendance and add walk-ins from a phone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory
from tests.training.factories import BookingFactory, SessionFactory
from training.models import Booking

pytestmark = pytest.mark.django_db


def _started_session(**kwargs):
    starts = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=10)
    return SessionFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_register_lists_confirmed_bookings_with_counts(staff_client):
    session = _started_session()
    came = BookingFactory(session=session, attended=Booking.Attended.YES)
    BookingFactory(session=session)
    waiting = BookingFactory(session=session, status=Booking.Status.WAITLISTED)
    response = staff_client.get(reverse("training:door-register", args=[session.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert str(came.member) in page
    assert str(waiting.member) not in page
    assert "<strong>1</strong> attended" in page
    assert "<strong>1</strong> not marked" in page
    assert "2 on the register" in page


def test_search_narrows_the_list_without_javascript(staff_client):
    session = _started_session()
    wanted = BookingFactory(session=session, member__user__first_name="Zebedee")
    other = BookingFactory(session=session, member__user__first_name="Anne")
    response = staff_client.get(reverse("training:door-register", args=[session.pk]), {"q": "zebedee"})
    page = response.content.decode()
    assert f'id="person-{wanted.pk}"' in page
    assert f'id="person-{other.pk}"' not in page


def test_marking_attended_goes_through_the_service_and_returns_to_the_same_place(staff_client):
    session = _started_session()
    booking = BookingFactory(session=session)
    url = reverse("training:door-mark", args=[session.pk, booking.pk])
    response = staff_client.post(url, {"state": "attended", "q": "smith"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('training:door-register', args=[session.pk])}?q=smith#person-{booking.pk}"
    booking.refresh_from_db()
    assert booking.attended == Booking.Attended.YES
    staff_client.post(url, {"state": "no-show"})
    booking.refresh_from_db()
    assert booking.attended == Booking.Attended.NO


def test_marking_someone_not_on_this_register_is_404_and_changes_nothing(staff_client):
    session = _started_session()
    elsewhere = BookingFactory(session=_started_session())
    cancelled = BookingFactory(session=session, status=Booking.Status.CANCELLED, cancelled_at=timezone.now())
    for booking in (elsewhere, cancelled):
        url = reverse("training:door-mark", args=[session.pk, booking.pk])
        assert staff_client.post(url, {"state": "attended"}).status_code == 404
        booking.refresh_from_db()
        assert booking.attended == Booking.Attended.UNKNOWN


def test_marking_before_the_session_starts_is_refused_with_a_message(staff_client):
    session = SessionFactory()
    booking = BookingFactory(session=session)
    response = staff_client.post(
        reverse("training:door-mark", args=[session.pk, booking.pk]), {"state": "attended"}, follow=True
    )
    assert "once the session has started" in response.content.decode()
    booking.refresh_from_db()
    assert booking.attended == Booking.Attended.UNKNOWN


def test_a_mark_without_a_valid_state_changes_nothing(staff_client):
    session = _started_session()
    booking = BookingFactory(session=session)
    response = staff_client.post(reverse("training:door-mark", args=[session.pk, booking.pk]), {"state": "yes"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.attended == Booking.Attended.UNKNOWN


def test_walk_in_adds_an_approved_member_as_attended_even_when_full(staff_client):
    session = _started_session(capacity=1)
    BookingFactory(session=session)
    walk_in = MemberFactory(user__first_name="Walker")
    found = staff_client.get(reverse("training:door-register", args=[session.pk]), {"q": "walker"})
    assert f'name="member" value="{walk_in.pk}"' in found.content.decode()
    response = staff_client.post(reverse("training:door-walk-in", args=[session.pk]), {"member": walk_in.pk})
    assert response.status_code == 302
    booking = Booking.objects.get(session=session, member=walk_in)
    assert (booking.status, booking.attended) == (Booking.Status.CONFIRMED, Booking.Attended.YES)


def test_walk_in_confirms_a_waiting_list_booking_instead_of_adding_another(staff_client):
    session = _started_session()
    waiting = BookingFactory(session=session, status=Booking.Status.WAITLISTED)
    staff_client.post(reverse("training:door-walk-in", args=[session.pk]), {"member": waiting.member_id})
    assert Booking.objects.filter(session=session, member=waiting.member).count() == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attended) == (Booking.Status.CONFIRMED, Booking.Attended.YES)


def test_walk_in_of_someone_not_approved_is_404_and_adds_nothing(staff_client):
    session = _started_session()
    pending = MemberFactory(status=Member.Status.PENDING)
    response = staff_client.post(reverse("training:door-walk-in", args=[session.pk]), {"member": pending.pk})
    assert response.status_code == 404
    assert not Booking.objects.filter(session=session).exists()


def test_members_cannot_open_or_post_to_the_register(client):
    session = _started_session()
    booking = BookingFactory(session=session)
    client.force_login(booking.member.user)
    assert client.get(reverse("training:door-register", args=[session.pk])).status_code == 302
    client.post(reverse("training:door-mark", args=[session.pk, booking.pk]), {"state": "attended"})
    booking.refresh_from_db()
    assert booking.attended == Booking.Attended.UNKNOWN


def test_staff_dashboard_and_admin_link_to_todays_registers_of_sessions_and_meetings(staff_client):
    session = _started_session()
    day = timedelta(days=1)
    tomorrow = SessionFactory(starts_at=session.starts_at + day, ends_at=session.ends_at + day)
    meeting = MeetingFactory(starts_at=session.starts_at, ends_at=session.ends_at)
    today_url = reverse("door-registers-today")
    assert today_url in staff_client.get(reverse("training:dashboard")).content.decode()
    assert today_url in staff_client.get(reverse("admin:index")).content.decode()
    page = staff_client.get(today_url).content.decode()
    assert reverse("training:door-register", args=[session.pk]) in page
    assert reverse("meetings:door-register", args=[meeting.slug]) in page
    assert reverse("training:door-register", args=[tomorrow.pk]) not in page
