import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/accessibility/", "/privacy/", "/accounts/signup/", "/accounts/login/"])
def test_public_page_renders(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'href="#main"' in response.content  # skip link


def test_home_page_explains_the_network_and_invites_joining(client):
    content = client.get("/").content.decode()
    assert "Centre for Mental Health" in content
    assert "London Councils" in content
    assert "Join the network" in content


def test_footer_has_contact_and_policy_links(client):
    content = client.get("/").content.decode()
    assert "Info@ThriveLDN.co.uk" in content
    assert 'href="/accessibility/"' in content
    assert 'href="/privacy/"' in content


def test_unknown_url_gets_the_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert b'href="#main"' in response.content


def test_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.org", "password": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_logout_needs_a_post(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    client.get("/accounts/logout/")
    assert client.get("/account/").status_code == 200  # still logged in after a GET
    client.post("/accounts/logout/")
    assert client.get("/account/").status_code == 302
