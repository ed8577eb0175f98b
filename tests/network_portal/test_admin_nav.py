"""The admin's navigation sidebar comes from a copy kept per page, language and permissions
(network_portal/admin_nav.py): the same markup as Django's, and a change of permissions
shows on the very next request."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/admin/members/member/"
COUNCILS = "/admin/members/council/"


def _sidebar(html: str) -> str:
    return re.search(r'<nav class="sticky" id="nav-sidebar".*?</nav>', html, re.S).group(0)


def _staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_the_sidebar_is_djangos_own_markup(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.get(MEMBERS)  # the first request keeps the copy; the second is served from it

    served = _sidebar(client.get(MEMBERS).text)

    request = RequestFactory().get(MEMBERS)
    request.user = staff
    stock = render_to_string(
        "admin/nav_sidebar.html", {"available_apps": list(admin.site.get_app_list(request)), "request": request}
    )
    assert served == _sidebar(stock)


def test_a_permission_granted_shows_its_model_in_the_sidebar_on_the_next_request(client):
    staff = _staff_with("view_member")
    client.force_login(staff)
    assert 'href="/admin/members/council/"' not in _sidebar(client.get(MEMBERS).text)

    staff.user_permissions.add(Permission.objects.get(codename="view_council"))

    assert 'href="/admin/members/council/"' in _sidebar(client.get(MEMBERS).text)


def test_a_permission_taken_away_through_a_group_leaves_the_sidebar_on_the_next_request(client):
    staff = _staff_with("view_member")
    editors = Group.objects.create(name="Council editors")
    editors.permissions.add(Permission.objects.get(codename="view_council"))
    staff.groups.add(editors)
    client.force_login(staff)
    assert 'href="/admin/members/council/"' in _sidebar(client.get(MEMBERS).text)

    editors.permissions.clear()

    assert 'href="/admin/members/council/"' not in _sidebar(client.get(MEMBERS).text)


def test_the_sidebar_marks_the_model_of_the_page_it_is_on(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    on_members = _sidebar(client.get(MEMBERS).text)
    on_councils = _sidebar(client.get(COUNCILS).text)

    assert re.search(r'class="model-member current-model"', on_members)
    assert not re.search(r'class="model-council current-model"', on_members)
    assert re.search(r'class="model-council current-model"', on_councils)


def test_two_staff_with_different_permissions_each_see_their_own_sidebar(client):
    narrow, wide = _staff_with("view_member"), _staff_with("view_member", "view_council", "add_council")
    client.force_login(wide)
    wide_sidebar = _sidebar(client.get(MEMBERS).text)
    client.force_login(narrow)
    narrow_sidebar = _sidebar(client.get(MEMBERS).text)

    assert 'href="/admin/members/council/add/"' in wide_sidebar
    assert "/admin/members/council/" not in narrow_sidebar
