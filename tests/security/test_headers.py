"""Security headers and cookies with DEBUG off, on representative pages."""

import pytest
from django.urls import reverse

from network_portal.middleware import PERMISSIONS_POLICY
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# Ten representative URLs: public pages, allauth, each app's list, the admin and a file feed.
REPRESENTATIVE = [
    "/",
    "/privacy/",
    "/accounts/login/",
    "/accounts/signup/",
    "/meetings/",
    "/training/",
    "/resources/",
    "/updates/",
    "/account/",
    "/admin/",
]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def _directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", REPRESENTATIVE)
def test_every_page_sends_the_security_headers(client, production, url, london_councils):
    client.force_login(MemberFactory().user)
    response = client.get(url, secure=True)
    assert response.status_code in {200, 302}
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in response["Permissions-Policy"]


def test_plain_http_is_redirected_to_https(client, production):
    response = client.get("/privacy/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client, production, london_councils):
    member = MemberFactory()
    page = client.get(reverse("account_login"), secure=True)
    response = client.post(
        reverse("account_login"),
        {"login": member.user.email, "password": "correct-horse-battery-staple"},
        secure=True,
    )
    assert response.status_code == 302
    session = client.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


def test_settings_state_an_idle_timeout_shorter_than_the_absolute_lifetime(settings):
    assert 0 < settings.SESSION_IDLE_TIMEOUT < settings.SESSION_ABSOLUTE_LIFETIME
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_ABSOLUTE_LIFETIME


@pytest.mark.parametrize("url", ["/", "/privacy/", "/training/"])
def test_anonymous_pages_keep_the_headers_when_served_again(client, production, url):
    # Public pages may come from the page cache the second time; the headers must come too.
    first, second = client.get(url, secure=True), client.get(url, secure=True)
    for response in (first, second):
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY
        assert response["X-Content-Type-Options"] == "nosniff"
