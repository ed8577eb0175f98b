"""Certificates of attendance and their public verification address."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from members import services as member_services
from network_portal.signing import make_token
from tests.training.factories import BookingFactory, CourseFactory, past_session
from training import services
from training.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def attended():
    course = CourseFactory(title="Mental Health First Steps", trainer="Thrive LDN and Mind in Camden")
    return BookingFactory(session=past_session(course=course, days_ago=30), attended=Booking.Attended.YES)


def _verify_path(page: str) -> str:
    return re.search(r"http://testserver(/training/certificates/[^/<\s]+/)", page).group(1)


def test_my_training_links_to_the_certificate_of_an_attended_session(client, attended):
    client.force_login(attended.member.user)
    page = client.get(reverse("members:account")).content.decode()
    assert reverse("training:certificate", args=[attended.pk]) in page


def test_certificate_states_course_date_duration_and_trainer(client, attended):
    client.force_login(attended.member.user)
    response = client.get(reverse("training:certificate", args=[attended.pk]))
    page = response.content.decode()
    session = attended.session
    assert response.status_code == 200
    assert attended.member.user.get_full_name() in page
    assert "Mental Health First Steps" in page
    assert timezone.localtime(session.starts_at).strftime("%-d %B %Y") in page
    assert "2 hours" in page
    assert "Thrive LDN and Mind in Camden" in page


def test_verification_address_confirms_the_certificate_without_signing_in(client, attended):
    client.force_login(attended.member.user)
    path = _verify_path(client.get(reverse("training:certificate", args=[attended.pk])).content.decode())
    client.logout()
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This is a valid certificate of attendance" in page
    assert attended.member.user.get_full_name() in page
    assert "Mental Health First Steps" in page
    # Nothing beyond what the certificate states.
    assert attended.member.user.email not in page
    assert attended.member.council.name not in page
    assert attended.session.venue not in page


def test_a_tampered_code_is_not_a_valid_certificate(client, attended):
    token = make_token(obj=attended, purpose=services.CERTIFICATE_PURPOSE)
    response = client.get(reverse("training:certificate-verify", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "This is not a valid certificate" in response.content.decode()


def test_a_code_made_for_another_purpose_is_not_a_valid_certificate(client, attended):
    token = services.feedback_token(attended)
    response = client.get(reverse("training:certificate-verify", args=[token]))
    assert response.status_code == 400


def test_certificate_is_refused_for_someone_who_did_not_attend(client):
    no_show = BookingFactory(session=past_session(), attended=Booking.Attended.NO)
    client.force_login(no_show.member.user)
    response = client.get(reverse("training:certificate", args=[no_show.pk]))
    assert response.status_code == 403
    assert "only for a session you attended" in response.content.decode()


def test_another_members_certificate_is_404(client, attended):
    other = BookingFactory(session=past_session(), attended=Booking.Attended.YES)
    client.force_login(other.member.user)
    assert client.get(reverse("training:certificate", args=[attended.pk])).status_code == 404


def test_certificate_stops_verifying_when_attendance_is_withdrawn(client, attended):
    token = make_token(obj=attended, purpose=services.CERTIFICATE_PURPOSE)
    services.booking_mark_attendance(booking_ids=[attended.pk], attended=Booking.Attended.NO)
    assert client.get(reverse("training:certificate-verify", args=[token])).status_code == 400


def test_certificate_stops_verifying_when_the_account_is_erased(client, attended):
    token = make_token(obj=attended, purpose=services.CERTIFICATE_PURPOSE)
    member_services.member_erase(user=attended.member.user)
    assert client.get(reverse("training:certificate-verify", args=[token])).status_code == 400


def test_certificate_codes_do_not_expire(client, attended, settings):
    token = make_token(obj=attended, purpose=services.CERTIFICATE_PURPOSE)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=5 * 365)):
        assert client.get(reverse("training:certificate-verify", args=[token])).status_code == 200
