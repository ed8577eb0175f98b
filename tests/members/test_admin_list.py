"""The member changelist's rows, date hierarchy and filter sidebar (members/admin_list.py) show
exactly what Django's own admin code shows, and the cached sidebar is never stale."""

import re
from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.templatetags.admin_list import date_hierarchy as stock_date_hierarchy
from django.contrib.admin.templatetags.admin_list import result_list
from django.contrib.auth.models import Permission
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members import admin_list, services
from members.models import Council, Member
from tests.factories import UserFactory

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_member_changelist"


@pytest.fixture
def varied_members(camden, hackney):
    """Members with every kind of cell: markup in names, no council, both appointments,
    a last login, each status, dates in several years and months."""
    when = timezone.make_aware(datetime(2024, 3, 5, 12, 0))
    members = [
        member_at(camden, user__first_name="Ann <b>&", user__last_name="O'Brien", created_at=when),
        member_at(hackney, status=Member.Status.PENDING, created_at=when + timedelta(days=1)),
        member_at(camden, status=Member.Status.REJECTED, user__first_name="", user__last_name="", created_at=when),
        member_at(camden, status=Member.Status.FORMER, created_at=when - timedelta(days=400)),
        member_at(None, role=Member.Role.PARTNER, created_at=when + timedelta(days=40)),
        member_at(hackney, role=Member.Role.OFFICER, created_at=when + timedelta(days=700)),
    ]
    members[0].user.last_login = timezone.now()
    members[0].user.save(update_fields=["last_login"])
    AppointmentFactory(member=members[0])
    AppointmentFactory(member=members[0], role="lead_officer")
    AppointmentFactory(member=members[5], role="lead_officer")
    return members


def _table(html: str) -> str:
    table = re.search(r"<table id=\"result_list\">.*?</table>", html, re.S).group(0)
    return "\n".join(line for line in table.splitlines() if line.strip())


QUERIES = [
    {},
    {"o": "-7.2"},
    {"o": "3.-1.8"},
    {"status__exact": "pending"},
    {"council__id__exact": "camden"},
    {"appointment": "champion"},
    {"q": "O'Brien"},
    {"created_at__year": "2024"},
    {"created_at__year": "2024", "created_at__month": "3"},
    {"created_at__year": "2024", "created_at__month": "3", "created_at__day": "5"},
    {"created_at__year": "2024", "role__exact": "councillor", "_facets": "True"},
    {"created_at__month": "3"},
    {"created_at__day": "5"},
]


def _params(query, camden) -> dict:
    return {key: (str(camden.pk) if value == "camden" else value) for key, value in query.items()}


@pytest.mark.parametrize("query", QUERIES)
def test_member_rows_are_written_with_the_markup_djangos_result_list_gives(
    admin_client_, varied_members, camden, query
):
    response = admin_client_.get(reverse(CHANGELIST), _params(query, camden))
    cl = response.context["cl"]
    stock = get_template("admin/change_list_results.html").render(result_list(cl))

    assert cl.result_list, "the query should list somebody"
    assert _table(response.text) == _table(stock)


@pytest.mark.parametrize("query", QUERIES)
def test_the_date_hierarchy_offers_the_dates_djangos_own_offers(admin_client_, varied_members, camden, query):
    cl = admin_client_.get(reverse(CHANGELIST), _params(query, camden)).context["cl"]

    ours, stock = admin_list.date_hierarchy(cl), stock_date_hierarchy(cl)

    assert [(c.get("link"), str(c["title"])) for c in ours["choices"]] == [
        (c.get("link"), str(c["title"])) for c in stock["choices"]
    ]
    assert (ours["back"] and (ours["back"]["link"], str(ours["back"]["title"]))) == (
        stock["back"] and (stock["back"]["link"], str(stock["back"]["title"]))
    )


def test_the_date_hierarchy_starts_at_the_months_when_every_member_joined_in_one_year(admin_client_, camden):
    for month in (2, 2, 7):
        member_at(camden, created_at=timezone.make_aware(datetime(2025, month, 10)))
    cl = admin_client_.get(reverse(CHANGELIST)).context["cl"]

    ours, stock = admin_list.date_hierarchy(cl), stock_date_hierarchy(cl)

    assert [str(c["title"]) for c in ours["choices"]] == ["February 2025", "July 2025"]
    assert [c["link"] for c in ours["choices"]] == [c["link"] for c in stock["choices"]]


def test_the_date_hierarchy_starts_at_the_days_when_every_member_joined_in_one_month(admin_client_, camden):
    for day in (3, 3, 9):
        member_at(camden, created_at=timezone.make_aware(datetime(2025, 2, day)))
    cl = admin_client_.get(reverse(CHANGELIST)).context["cl"]

    ours, stock = admin_list.date_hierarchy(cl), stock_date_hierarchy(cl)

    assert [str(c["title"]) for c in ours["choices"]] == ["3 February", "9 February"]
    assert [c["link"] for c in ours["choices"]] == [c["link"] for c in stock["choices"]]
    assert ours["back"]["link"] == stock["back"]["link"]


def test_the_date_hierarchy_finds_members_who_joined_long_before_the_years_it_probes_first(admin_client_, camden):
    long_ago = timezone.localdate().year - admin_list.YEARS_PROBED - 5
    member_at(camden, created_at=timezone.make_aware(datetime(long_ago, 6, 1)))
    member_at(camden, created_at=timezone.make_aware(datetime(long_ago + 2, 6, 1)))
    member_at(camden)
    cl = admin_client_.get(reverse(CHANGELIST)).context["cl"]

    ours, stock = admin_list.date_hierarchy(cl), stock_date_hierarchy(cl)

    assert [c["title"] for c in ours["choices"]] == [str(long_ago), str(long_ago + 2), str(timezone.localdate().year)]
    assert [c["link"] for c in ours["choices"]] == [c["link"] for c in stock["choices"]]


def test_the_date_hierarchy_offers_a_year_only_while_it_has_members(admin_client_, camden):
    member_at(camden, created_at=timezone.make_aware(datetime(2022, 6, 1)))
    middle = member_at(camden, created_at=timezone.make_aware(datetime(2023, 6, 1)))
    member_at(camden, created_at=timezone.make_aware(datetime(2024, 6, 1)))
    assert "created_at__year=2023" in admin_client_.get(reverse(CHANGELIST)).text

    middle.user.delete()

    html = admin_client_.get(reverse(CHANGELIST)).text
    assert "created_at__year=2023" not in html
    assert "created_at__year=2022" in html


def test_filter_sidebar_is_reused_for_the_same_query_and_marks_each_querys_choice(admin_client_, camden):
    member_at(camden)
    pending = admin_client_.get(reverse(CHANGELIST), {"status__exact": "pending"}).text
    approved = admin_client_.get(reverse(CHANGELIST), {"status__exact": "approved"}).text

    assert '<li class="selected">\n    <a href="?status__exact=pending">' in pending
    assert '<li class="selected">\n    <a href="?status__exact=approved">' in approved
    assert "Clear all filters" in approved
    assert "Clear all filters" not in admin_client_.get(reverse(CHANGELIST)).text


def test_each_sort_order_gets_its_own_column_heads(admin_client_, camden):
    member_at(camden)
    by_email = admin_client_.get(reverse(CHANGELIST), {"o": "2"}).text
    by_joined = admin_client_.get(reverse(CHANGELIST), {"o": "-7"}).text

    assert 'class="sortable column-email sorted ascending"' in by_email
    assert 'class="sortable column-joined sorted descending"' in by_joined
    assert "column-email sorted" not in by_joined


def test_a_council_saved_through_the_service_shows_in_the_filter_on_the_next_request(admin_client_, camden):
    member_at(camden)
    assert ">Camden</a>" in admin_client_.get(reverse(CHANGELIST)).text

    camden.name = "Camden Town"
    services.council_save(council=camden)

    html = admin_client_.get(reverse(CHANGELIST)).text
    assert ">Camden Town</a>" in html


def test_a_council_added_in_the_admin_shows_in_the_filter_on_the_next_request(admin_client_, camden):
    member_at(camden)
    admin_client_.get(reverse(CHANGELIST))

    response = admin_client_.post(
        reverse("admin:members_council_add"),
        {
            "gss_code": "E09000099",
            "name": "Newtown",
            "official_name": "London Borough of Newtown",
            "abbr": "NEW",
            "slug": "newtown",
            "email_domains": "newtown.gov.uk",
            "grid_col": "9",
            "grid_row": "9",
            "appointments-TOTAL_FORMS": "0",
            "appointments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ">Newtown</a>" in admin_client_.get(reverse(CHANGELIST)).text


def _spare_council(camden) -> Council:
    """A council with no members beside Camden, which has one, so the filter lists both."""
    member_at(camden)
    return Council.objects.create(
        gss_code="E09000098",
        name="Oldtown",
        official_name="Oldtown",
        abbr="OLD",
        slug="oldtown",
        grid_col=9,
        grid_row=9,
    )


def test_a_council_deleted_in_the_admin_leaves_the_filter_on_the_next_request(admin_client_, camden):
    spare = _spare_council(camden)
    assert ">Oldtown</a>" in admin_client_.get(reverse(CHANGELIST)).text

    admin_client_.post(reverse("admin:members_council_delete", args=[spare.pk]), {"post": "yes"})

    assert not Council.objects.filter(pk=spare.pk).exists()
    assert ">Oldtown</a>" not in admin_client_.get(reverse(CHANGELIST)).text


def test_councils_deleted_by_the_admin_action_leave_the_filter_on_the_next_request(admin_client_, camden):
    spare = _spare_council(camden)
    assert ">Oldtown</a>" in admin_client_.get(reverse(CHANGELIST)).text

    admin_client_.post(
        reverse("admin:members_council_changelist"),
        {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"},
    )

    assert not Council.objects.filter(pk=spare.pk).exists()
    assert ">Oldtown</a>" not in admin_client_.get(reverse(CHANGELIST)).text


def test_facet_counts_are_counted_afresh_on_every_request(admin_client_, camden):
    member_at(camden, status=Member.Status.PENDING)
    assert "Waiting for approval (1)" in admin_client_.get(reverse(CHANGELIST), {"_facets": "True"}).text

    member_at(camden, status=Member.Status.PENDING)

    assert "Waiting for approval (2)" in admin_client_.get(reverse(CHANGELIST), {"_facets": "True"}).text


def test_the_action_select_offers_each_staff_user_their_own_actions(client, staff, camden):
    member_at(camden)
    editor = UserFactory(is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename__in=["view_member", "change_member"]))
    client.force_login(staff)
    assert 'value="delete_selected"' in client.get(reverse(CHANGELIST)).text

    client.force_login(editor)
    html = client.get(reverse(CHANGELIST)).text

    assert 'value="delete_selected"' not in html
    assert 'value="approve"' in html


def test_the_object_tools_keep_each_querys_filters_and_follow_the_add_permission(client, staff, camden):
    member_at(camden)
    editor = UserFactory(is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename__in=["view_member", "change_member"]))
    client.force_login(staff)
    pending = client.get(reverse(CHANGELIST), {"status__exact": "pending"}).text
    page_one = client.get(reverse(CHANGELIST), {"status__exact": "approved", "p": "1"}).text

    assert "export.csv?status__exact=pending" in pending
    assert "/admin/members/member/add/?_changelist_filters=status__exact%3Dpending" in pending
    assert "/admin/members/member/add/?_changelist_filters=status__exact%3Dapproved%26p%3D1" in page_one

    client.force_login(editor)
    assert "/admin/members/member/add/" not in client.get(reverse(CHANGELIST), {"status__exact": "pending"}).text


def _count(client, **query) -> int:
    return client.get(reverse(CHANGELIST), query).context["cl"].result_count


def test_the_member_count_is_kept_between_writes(admin_client_, camden):
    member = member_at(camden, consent_digest=False)
    assert _count(admin_client_, consent_digest__exact="1") == 0
    # A write around every service and signal is not seen: the count really is kept.
    Member.objects.filter(pk=member.pk).update(consent_digest=True)
    assert _count(admin_client_, consent_digest__exact="1") == 0


def test_a_member_joining_or_leaving_shows_in_the_count_on_the_next_request(admin_client_, camden):
    member_at(camden)
    before = _count(admin_client_)
    joined = member_at(camden)
    assert _count(admin_client_) == before + 1
    joined.user.delete()
    assert _count(admin_client_) == before


def test_any_consent_changed_through_the_service_shows_in_the_filtered_count(admin_client_, camden):
    member = member_at(camden, consent_digest=False)
    assert _count(admin_client_, consent_digest__exact="1") == 0
    services.consent_set(member=member, kind="digest", granted=True, wording_version="test")
    assert _count(admin_client_, consent_digest__exact="1") == 1


def test_an_email_verified_shows_in_the_verified_count_on_the_next_request(admin_client_, camden):
    member = member_at(camden)
    EmailAddress.objects.filter(user=member.user).delete()
    assert _count(admin_client_, verified="yes") == 0
    EmailAddress.objects.create(user=member.user, email=member.user.email, verified=True, primary=True)
    assert _count(admin_client_, verified="yes") == 1


def _row(html: str, member) -> str:
    return re.search(rf'<tr><td class="action-checkbox"><input[^>]*value="{member.pk}".*?</tr>', html, re.S).group(0)


def test_member_rows_are_kept_between_writes(admin_client_, camden):
    member = member_at(camden, user__first_name="Before")
    admin_client_.get(reverse(CHANGELIST))
    # A write around every service and signal is not seen: the rows really are kept.
    type(member.user).objects.filter(pk=member.user.pk).update(first_name="After")

    assert "Before" in _row(admin_client_.get(reverse(CHANGELIST)).text, member)


def test_a_name_changed_in_the_admin_shows_in_the_rows_on_the_next_request(admin_client_, camden):
    member = member_at(camden, user__first_name="Before")
    admin_client_.get(reverse(CHANGELIST))
    member.user.first_name = "After"
    member.user.save()

    assert "After" in _row(admin_client_.get(reverse(CHANGELIST)).text, member)


def test_a_sign_in_shows_in_the_last_login_column_on_the_next_request(admin_client_, camden):
    member = member_at(camden)
    assert '<td class="field-last_login">-</td>' in _row(admin_client_.get(reverse(CHANGELIST)).text, member)

    Client().force_login(member.user)  # records the sign-in as a real one does

    assert '<td class="field-last_login nowrap">' in _row(admin_client_.get(reverse(CHANGELIST)).text, member)


def test_each_page_of_a_long_list_holds_its_own_members_and_counts_them(admin_client_, camden):
    per_page = admin_client_.get(reverse(CHANGELIST)).context["cl"].list_per_page
    members = [member_at(camden) for _ in range(per_page + 3)]
    pages = [admin_client_.get(reverse(CHANGELIST), {"p": number}) for number in (1, 2)]
    again = [admin_client_.get(reverse(CHANGELIST), {"p": number}) for number in (1, 2)]

    listed = [re.findall(r'name="_selected_action" value="(\d+)"', page.text) for page in pages]
    assert [len(ids) for ids in listed] == [per_page, 3]
    assert sorted(int(pk) for ids in listed for pk in ids) == sorted(m.pk for m in members)
    assert [f"0 of {len(ids)} selected" in page.text for page, ids in zip(pages, listed, strict=True)] == [True] * 2
    assert [_table(page.text) for page in again] == [_table(page.text) for page in pages]
