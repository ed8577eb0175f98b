"""The client address behind our reverse proxies: rate limits and the audit log
count the real client, and a client cannot choose its own address."""

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from django.urls import reverse

from members.models import ContactEnquiry
from network_portal.client_address import client_address
from network_portal.models import AuditEvent
from tests.factories import UserFactory

PROXY = "10.0.0.2"
OUTER_PROXY = "10.0.0.1"
CLIENT = "203.0.113.9"
SPOOFED = "198.51.100.66"


def _request(forwarded_for: str | None, remote: str = PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("trusted_proxies", "forwarded_for", "expected"),
    [
        # Facing clients directly: the header is anyone's to write.
        (0, None, PROXY),
        (0, CLIENT, PROXY),
        (0, f"{SPOOFED}, {CLIENT}", PROXY),
        # One proxy appends the client it saw; what the client sent sits to its left.
        (1, CLIENT, CLIENT),
        (1, f"{SPOOFED}, {CLIENT}", CLIENT),
        # Two proxies: the outer one appends the client, the inner one the outer proxy.
        (2, f"{CLIENT}, {OUTER_PROXY}", CLIENT),
        (2, f"{SPOOFED}, {CLIENT}, {OUTER_PROXY}", CLIENT),
        # Shorter than the proxies configured, or not an address: the request did
        # not come through them, so the connecting address stands.
        (2, CLIENT, PROXY),
        (1, None, PROXY),
        (1, "not-an-address", PROXY),
        (1, "2001:db8::7", "2001:db8::7"),
    ],
)
def test_client_address_takes_the_entry_our_outermost_proxy_wrote(settings, trusted_proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    assert client_address(_request(forwarded_for)) == expected


def test_allauth_sign_in_limits_count_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(_request(f"{SPOOFED}, {CLIENT}")) == CLIENT
    settings.TRUSTED_PROXY_COUNT = 0
    assert get_adapter().get_client_ip(_request(f"{SPOOFED}, {CLIENT}")) == PROXY


def _enquiry(message: str) -> dict:
    return {
        "name": "Ngozi Adeyemi",
        "email": "ngozi@example.org",
        "council": "",
        "role": "officer",
        "message": message,
        "website": "",
    }


@pytest.mark.django_db
def test_contact_limit_behind_a_proxy_is_per_client_and_spoofing_does_not_reset_it(client, london_councils, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.MEMBERS_CONTACT_RATE_LIMIT = 1
    url = reverse("members:contact")
    client.post(url, _enquiry("First"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    # The same client writing a fresh address of its own is still the same client.
    client.post(url, _enquiry("Spoofed"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}")
    # Someone else behind the same proxy has their own allowance.
    client.post(url, _enquiry("Neighbour"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert sorted(ContactEnquiry.objects.values_list("message", flat=True)) == ["First", "Neighbour"]


@pytest.mark.django_db
def test_contact_limit_ignores_the_header_without_trusted_proxies(client, london_councils, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.MEMBERS_CONTACT_RATE_LIMIT = 1
    url = reverse("members:contact")
    client.post(url, _enquiry("First"), REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=SPOOFED)
    client.post(url, _enquiry("Second"), REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="198.51.100.67")
    assert list(ContactEnquiry.objects.values_list("message", flat=True)) == ["First"]


@pytest.mark.django_db
def test_audit_log_records_the_client_behind_the_proxies(client, london_councils, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(
        reverse("admin:members_member_export"),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}, {OUTER_PROXY}",
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get().ip_address == CLIENT
