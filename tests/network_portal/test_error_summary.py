"""Every invalid form, the site's and allauth's, opens with an error summary
linking to each field, and "Error: " before the page title."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _title(html: str) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())


def _summary(html: str) -> str:
    return re.search(r'<div class="error-summary.*?</div>', html, re.S).group(0)


def test_invalid_contact_form_has_a_summary_linking_to_each_field(client, london_councils):
    html = client.post("/contact/", {"name": "", "email": "not-an-email", "message": ""}).content.decode()

    assert _title(html).startswith("Error: ")
    summary = _summary(html)
    for field in ("name", "email", "message"):
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}"' in html


def test_allauth_login_failure_is_summarised_at_the_top(client):
    html = client.post("/accounts/login/", {"login": "nobody@example.org", "password": "wrong"}).content.decode()

    assert _title(html).startswith("Error: Log in")
    assert "The email address and/or password you specified are not correct." in _summary(html)
    # Shown once: crispy's own non-field block gives way to the summary.
    assert html.count("The email address and/or password you specified are not correct.") == 1


def test_radio_choices_link_to_their_first_option(client, london_councils):
    html = client.post("/accounts/signup/", {}).content.decode()

    assert 'href="#id_role_0"' in _summary(html)
    assert 'id="id_role_0"' in html


def test_a_valid_page_has_no_summary_or_error_title(client, london_councils):
    html = client.get("/contact/").content.decode()
    assert "error-summary" not in html
    assert not _title(html).startswith("Error")
