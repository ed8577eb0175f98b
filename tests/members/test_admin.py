"""Member and council admin: columns, filters, CSV export and counts."""

import csv
import io

import pytest
from django.urls import reverse

from members.models import Member

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_member_changelist"


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_member_list_shows_the_agreed_columns(admin_client_, camden):
    champion = member_at(camden)
    AppointmentFactory(member=champion)
    response = admin_client_.get(reverse(CHANGELIST))
    html = response.content.decode()
    for heading in ["Name", "Email", "Role", "Council", "Status", "Champion / lead officer", "Joined", "Last login"]:
        assert heading in html
    assert champion.user.email in html
    assert "Champion" in html


def test_member_list_filters_by_champion_and_searches_by_email(admin_client_, camden):
    champion = member_at(camden)
    AppointmentFactory(member=champion)
    plain = member_at(camden)

    by_filter = admin_client_.get(reverse(CHANGELIST), {"appointment": "champion"})
    by_search = admin_client_.get(reverse(CHANGELIST), {"q": plain.user.email})

    assert [m.pk for m in by_filter.context["cl"].result_list] == [champion.pk]
    assert [m.pk for m in by_search.context["cl"].result_list] == [plain.pk]


def test_csv_export_contains_exactly_the_filtered_list(admin_client_, camden, hackney):
    in_camden = [member_at(camden, status="pending") for _ in range(2)]
    member_at(camden, status="approved")
    member_at(hackney, status="pending")

    response = admin_client_.get(
        reverse("admin:members_member_export"), {"status__exact": "pending", "council__id__exact": camden.pk}
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert sorted(r["Email"] for r in rows) == sorted(m.user.email for m in in_camden)
    assert {r["Council"] for r in rows} == {"Camden"}
    assert {r["Status"] for r in rows} == {"Waiting for approval"}


def test_changelist_links_to_the_csv_of_the_current_filter(admin_client_, camden):
    html = admin_client_.get(reverse(CHANGELIST), {"status__exact": "pending"}).content.decode()
    assert reverse("admin:members_member_export") + "?status__exact=pending" in html


def test_csv_export_defuses_spreadsheet_formulas(admin_client_, camden):
    member_at(camden, user__first_name="=HYPERLINK(1)", user__last_name="X")
    rows = _csv_rows(admin_client_.get(reverse("admin:members_member_export")))
    assert rows[0]["Name"].startswith("'=")


def test_csv_export_is_staff_only(client, camden):
    client.force_login(member_at(camden).user)
    response = client.get(reverse("admin:members_member_export"))
    assert response.status_code == 302
    assert "login" in response.url


def test_council_admin_shows_member_counts(admin_client_, camden):
    approved = [member_at(camden) for _ in range(2)]
    pending = [member_at(camden, status="pending")]
    response = admin_client_.get(reverse("admin:members_council_changelist"), {"q": "Camden"})
    council = next(c for c in response.context["cl"].result_list if c.pk == camden.pk)
    assert (council.approved_count, council.pending_count) == (len(approved), len(pending))
    assert "Approved members" in response.content.decode()


def test_staff_can_add_a_partner_without_a_council(admin_client_):
    from tests.factories import UserFactory

    user = UserFactory()
    response = admin_client_.post(
        reverse("admin:members_member_add"),
        {
            "user": user.pk,
            "role": "partner",
            "organisation": "North London NHS Trust",
            "job_title": "Partnerships lead",
            "status": "approved",
            "appointments-TOTAL_FORMS": "0",
            "appointments-INITIAL_FORMS": "0",
            "consent_records-TOTAL_FORMS": "0",
            "consent_records-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Member.objects.get(user=user).role == "partner"


def test_member_admin_pages_render(admin_client_, camden):
    member = member_at(camden)
    for url in [
        reverse("admin:members_member_change", args=[member.pk]),
        reverse("admin:members_council_change", args=[camden.pk]),
        reverse("admin:members_appointment_changelist"),
        reverse("admin:members_reconfirmation_changelist"),
        reverse("admin:members_dataexport_changelist"),
        reverse("admin:members_contactenquiry_changelist"),
    ]:
        assert admin_client_.get(url).status_code == 200, url
