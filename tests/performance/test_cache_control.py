"""Anonymous public pages may be cached briefly; nothing personal ever is."""

from unittest import mock

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver

from network_portal.http_caching import is_public_page

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/training/", "/meetings/", "/resources/?q=housing", "/councils/", "/updates/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_anonymous_public_page_may_be_cached_briefly_and_varies_on_cookie(small_network, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", f"max-age={settings.PUBLIC_PAGE_MAX_AGE}"}
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_for_a_logged_in_member_are_never_stored(clients, path):
    response = clients["member"].get(path)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_page_with_a_csrf_token_is_not_shared(client, london_councils):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies or "csrfmiddlewaretoken" in response.content.decode()
    assert "public" not in response["Cache-Control"]


def test_a_view_that_sets_its_own_caching_keeps_it(client, db):
    response = client.get("/healthz")
    assert "public" not in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_not_found_page_is_not_shared(client, db):
    response = client.get("/meetings/no-such-meeting/")
    assert response.status_code == 404
    assert "public" not in response["Cache-Control"]


def test_admin_login_page_is_not_shared(client, db):
    response = client.get(f"/{settings.ADMIN_PATH.strip('/')}/login/")
    assert "public" not in response.get("Cache-Control", "")


def test_a_signed_link_page_is_never_shared_or_kept(client, db):
    response = client.get("/still-serving/not-a-real-token/")
    assert "public" not in response["Cache-Control"]


def test_a_second_anonymous_visit_is_served_without_running_the_view(small_network, client, django_assert_num_queries):
    first = client.get("/training/")
    with django_assert_num_queries(0):
        second = client.get("/training/")
    assert second.content == first.content


def test_a_visitor_with_a_session_cookie_never_gets_the_shared_copy(clients):
    anonymous = clients["anon"].get("/training/")
    member = clients["member"].get("/training/")
    assert member.content != anonymous.content
    assert "private" in member["Cache-Control"]


def _url_names_of_public_views(patterns=None, namespace=""):
    """Every URL name whose view is marked @public_page, found by walking the URLconf."""
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _url_names_of_public_views(entry.url_patterns, inner)
        elif entry.name and is_public_page(entry.callback):
            names.add(f"{namespace}{entry.name}")
    return names


def test_exactly_the_public_pages_are_marked_shareable():
    # A signed-link page, a form or anything per-member marked by mistake would
    # be shared with every anonymous visitor, so a new mark is a deliberate change here.
    assert _url_names_of_public_views() == {
        "home",
        "accessibility",
        "privacy",
        "training:index",
        "training:course-detail",
        "training:session-detail",
        "training:coverage",
        "meetings:list",
        "meetings:detail",
        "resources:list",
        "resources:detail",
        "resources:update-list",
        "resources:update-detail",
        "members:council-list",
        "members:council-detail",
        "members:champions",
    }


def test_the_page_cache_resolves_each_url_once(small_network, client):
    original = URLResolver.resolve
    calls = []

    def counting_resolve(self, path):
        if self is get_resolver():
            calls.append(path)
        return original(self, path)

    with mock.patch.object(URLResolver, "resolve", counting_resolve):
        assert client.get("/training/").status_code == 200
        assert client.get("/training/").status_code == 200
    assert calls == ["/training/", "/training/"]
