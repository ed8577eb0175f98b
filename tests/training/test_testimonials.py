"""Testimonials: nothing a member writes appears publicly until staff approve it,
and the member can withdraw it at any time."""

import pytest
from django.urls import reverse

from members import services as member_services
from tests.factories import MemberFactory, UserFactory
from training import services
from training.models import Booking, Feedback

from .factories import BookingFactory, past_session

pytestmark = pytest.mark.django_db

ANSWERS = {
    "rating": "excellent",
    "usefulness": 4,
    "confidence_residents_before": 2,
    "confidence_residents_after": 4,
    "confidence_self_before": 2,
    "confidence_self_after": 4,
    "testimonial": "It changed how I chair casework surgeries.",
    "testimonial_consent": "named",
}


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client, staff


def _submitted(**answers) -> Feedback:
    booking = BookingFactory(session=past_session(), member=MemberFactory(), attended=Booking.Attended.YES)
    return services.feedback_submit(booking=booking, answers=ANSWERS | answers)


def _public(client) -> str:
    return client.get(reverse("training:index")).content.decode()


def _approve_in_admin(client, *feedback):
    return client.post(
        reverse("admin:training_feedback_changelist"),
        {"action": "approve_testimonials", "_selected_action": [f.pk for f in feedback]},
    )


def test_a_consented_testimonial_stays_off_public_pages_until_staff_approve_it(client):
    feedback = _submitted()
    assert ANSWERS["testimonial"] not in _public(client)
    assert not Feedback.objects.publishable_testimonials().exists()
    assert feedback.testimonial_approved_at is None


def test_staff_approval_publishes_it_and_records_who_and_when(client, staff_client):
    feedback = _submitted()
    admin, staff = staff_client
    assert _approve_in_admin(admin, feedback).status_code == 302
    feedback.refresh_from_db()
    assert feedback.testimonial_approved_by == staff
    assert feedback.testimonial_approved_at is not None
    admin.logout()
    content = _public(client)
    assert ANSWERS["testimonial"] in content
    assert feedback.booking.member.user.get_full_name() in content


def _published() -> Feedback:
    feedback = _submitted()
    services.testimonial_approve(feedback_ids=[feedback.pk], approved_by=UserFactory(is_staff=True))
    return feedback


def test_a_published_author_renamed_in_their_profile_shows_renamed_on_the_next_request(client):
    member = _published().booking.member
    assert member.user.get_full_name() in _public(client)  # now in the cache

    member_services.member_profile_update(member=member, first_name="Renamed", last_name="Author")

    assert "Renamed Author" in _public(client)


def test_an_erased_author_disappears_from_the_published_testimonial_on_the_next_request(client):
    member = _published().booking.member
    name = member.user.get_full_name()
    assert name in _public(client)

    member_services.member_erase(user=member.user)

    assert name not in _public(client)


def test_a_testimonial_without_consent_to_publish_cannot_be_approved(staff_client):
    feedback = _submitted(testimonial_consent="no")
    _approve_in_admin(staff_client[0], feedback)
    feedback.refresh_from_db()
    assert feedback.testimonial_approved_at is None
    assert not Feedback.objects.publishable_testimonials().exists()


def test_the_member_withdraws_an_approved_testimonial_from_their_account(client):
    feedback = _submitted()
    staff = UserFactory(is_staff=True)
    services.testimonial_approve(feedback_ids=[feedback.pk], approved_by=staff)
    member_user = feedback.booking.member.user
    client.force_login(member_user)
    account = client.get(reverse("members:account")).content.decode()
    assert "Your testimonial" in account and "is published on the website" in account
    response = client.post(reverse("training:testimonial-withdraw", args=[feedback.pk]))
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.testimonial_consent == Feedback.TestimonialConsent.DO_NOT_PUBLISH
    assert feedback.testimonial_withdrawn_at is not None
    assert feedback.testimonial_approved_at is None
    client.logout()
    assert ANSWERS["testimonial"] not in _public(client)


def test_a_withdrawn_testimonial_cannot_be_approved_again_by_staff(staff_client):
    feedback = _submitted()
    services.testimonial_withdraw(feedback=feedback)
    _approve_in_admin(staff_client[0], feedback)
    assert not Feedback.objects.publishable_testimonials().exists()


def test_the_member_can_withdraw_before_approval_too(client):
    feedback = _submitted()
    client.force_login(feedback.booking.member.user)
    assert "waiting for staff to approve it" in client.get(reverse("members:account")).content.decode()
    client.post(reverse("training:testimonial-withdraw", args=[feedback.pk]))
    services.testimonial_approve(feedback_ids=[feedback.pk], approved_by=UserFactory(is_staff=True))
    assert not Feedback.objects.publishable_testimonials().exists()


def test_another_member_cannot_withdraw_someone_elses_testimonial(client):
    feedback = _submitted()
    client.force_login(MemberFactory().user)
    assert client.post(reverse("training:testimonial-withdraw", args=[feedback.pk])).status_code == 404
    feedback.refresh_from_db()
    assert feedback.testimonial_consent == "named"
    assert feedback.testimonial_withdrawn_at is None


def test_withdrawing_needs_a_login_and_a_post(client):
    feedback = _submitted()
    url = reverse("training:testimonial-withdraw", args=[feedback.pk])
    assert client.post(url).status_code == 302
    client.force_login(feedback.booking.member.user)
    assert client.get(url).status_code == 405
    feedback.refresh_from_db()
    assert feedback.testimonial_withdrawn_at is None
