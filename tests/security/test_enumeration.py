"""No account enumeration: known and unknown emails get the same response."""

import pytest
from django.test import Client
from django.urls import reverse

from network_portal.models import OutboxEmail
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _signup_data(council, email):
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "password1": "a-long-passphrase-2026",
        "password2": "a-long-passphrase-2026",
        "role": "councillor",
        "council": council.pk,
        "ward": "Kentish Town",
    }


def _comparable(response) -> tuple:
    return response.status_code, response.get("Location")


def test_signup_gives_the_same_response_for_known_and_unknown_emails(london_councils):
    camden = london_councils.get(slug="camden")
    UserFactory(email="known@camden.gov.uk")
    pages = {}
    for email in ["known@camden.gov.uk", "unknown@camden.gov.uk"]:
        browser = Client()
        response = browser.post(reverse("account_signup"), _signup_data(camden, email))
        page = browser.get(response["Location"]).content.decode()
        pages[email] = (_comparable(response), page.replace(email, "EMAIL"))
    assert pages["known@camden.gov.uk"] == pages["unknown@camden.gov.uk"]


def test_password_reset_gives_the_same_response_for_known_and_unknown_emails(client, london_councils):
    member = MemberFactory()
    known = client.post(reverse("account_reset_password"), {"email": member.user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert _comparable(known) == _comparable(unknown) == (302, reverse("account_reset_password_done"))
    # The difference is only in the inboxes: the owner gets a link, the stranger a notice.
    assert OutboxEmail.objects.filter(to_email=member.user.email, kind="account:password_reset_key").exists()
    assert OutboxEmail.objects.filter(to_email="nobody@example.org", kind="account:unknown_account").exists()


def test_login_failure_message_is_the_same_for_known_and_unknown_emails(client, london_councils):
    member = MemberFactory()
    known = client.post(reverse("account_login"), {"login": member.user.email, "password": "wrong-password-1"})
    unknown = client.post(reverse("account_login"), {"login": "nobody@example.org", "password": "wrong-password-1"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
