"""Contact the Thrive LDN team: stored, emailed with reply-to, protected from spam."""

import pytest
from django.urls import reverse

from members.models import ContactEnquiry
from network_portal.models import OutboxEmail

pytestmark = pytest.mark.django_db


def _enquiry(**overrides):
    data = {
        "name": "Ngozi Adeyemi",
        "email": "ngozi@example.org",
        "council": "",
        "role": "officer",
        "message": "How do we bring the training to our borough?",
        "website": "",
    }
    return {**data, **overrides}


def test_enquiry_is_stored_as_new_and_emailed_to_the_team_with_reply_to(
    client, camden, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CONTACT_EMAIL = "team@thrive.test"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:contact"), _enquiry(council=camden.pk), follow=True)

    assert b"Thank you" in response.content
    enquiry = ContactEnquiry.objects.get()
    assert (enquiry.status, enquiry.council, enquiry.email) == ("new", camden, "ngozi@example.org")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["team@thrive.test"]
    assert email.reply_to == ["ngozi@example.org"]
    assert "How do we bring the training" in email.body
    assert OutboxEmail.objects.get(kind="contact-enquiry").reply_to == "ngozi@example.org"


def test_contact_page_is_open_to_anyone(client, london_councils):
    response = client.get(reverse("members:contact"))
    assert response.status_code == 200
    assert b"Council (optional)" in response.content


def test_filled_honeypot_is_refused_quietly(client, london_councils):
    response = client.post(reverse("members:contact"), _enquiry(website="http://spam.example"), follow=True)
    assert b"Thank you" in response.content
    assert not ContactEnquiry.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_too_many_posts_from_one_address_are_refused_quietly(client, london_councils, settings):
    settings.MEMBERS_CONTACT_RATE_LIMIT = 3
    for n in range(settings.MEMBERS_CONTACT_RATE_LIMIT + 2):
        response = client.post(reverse("members:contact"), _enquiry(message=f"Message {n}"))
        assert response.status_code == 302
    assert ContactEnquiry.objects.count() == settings.MEMBERS_CONTACT_RATE_LIMIT
    assert OutboxEmail.objects.count() == settings.MEMBERS_CONTACT_RATE_LIMIT


def test_rate_limit_is_per_client_address(client, london_councils, settings):
    settings.MEMBERS_CONTACT_RATE_LIMIT = 1
    client.post(reverse("members:contact"), _enquiry(), REMOTE_ADDR="192.0.2.1")
    client.post(reverse("members:contact"), _enquiry(), REMOTE_ADDR="192.0.2.2")
    assert ContactEnquiry.objects.count() == 2


def test_missing_message_is_a_form_error_and_nothing_is_stored(client, london_councils):
    response = client.post(reverse("members:contact"), _enquiry(message=""))
    assert response.status_code == 200
    assert "message" in response.context["form"].errors
    assert not ContactEnquiry.objects.exists()


def test_staff_mark_enquiries_answered_in_admin(client, staff, london_councils):
    from .factories import ContactEnquiryFactory

    enquiry = ContactEnquiryFactory()
    client.force_login(staff)
    client.post(
        reverse("admin:members_contactenquiry_changelist"),
        {"action": "mark_answered", "_selected_action": [enquiry.pk]},
    )
    enquiry.refresh_from_db()
    assert enquiry.status == "answered" and enquiry.answered_at is not None
