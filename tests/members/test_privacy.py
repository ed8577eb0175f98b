"""Privacy rights: the personal-data registry, "Download my data" and "Delete my account"."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from members import privacy, services
from members.models import ConsentRecord, DataExport, Member, User
from network_portal.models import OutboxEmail

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-2026"
ZEB = {"first_name": "Zebedee", "last_name": "Quillfeather", "email": "zebedee.quillfeather@gmail.com"}
OTHER = {"first_name": "Ottoline", "last_name": "Brackenbury", "email": "ottoline.brackenbury@camden.gov.uk"}


def _join(client, council, person, ward):
    client.post(
        reverse("account_signup"),
        {
            **person,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "councillor",
            "council": council.pk,
            "ward": ward,
            "consent_directory": "on",
            "consent_research": "on",
        },
    )
    row = OutboxEmail.objects.filter(to_email=person["email"], kind__startswith="account:").latest("created_at")
    client.post(re.search(r"/accounts/confirm-email/[^/\s]+/", row.body_text).group(0))
    return Member.objects.get(user__email=person["email"])


@pytest.fixture
def footprint(camden, staff, settings, django_capture_on_commit_callbacks):
    """Zebedee and Ottoline leave data across the portal through its real flows."""
    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test"]
    zeb_client, other_client = Client(), Client()
    with django_capture_on_commit_callbacks(execute=True):
        zeb = _join(zeb_client, camden, ZEB, "Pemberton Heath")
        other = _join(other_client, camden, OTHER, "Bloomsbury")
        services.member_approve(member=zeb)
        zeb_client.post(reverse("members:consent-update"), {"kind": "digest", "granted": "1"})
        zeb_client.post(reverse("members:consent-update"), {"kind": "digest", "granted": "0"})
        zeb_client.post(
            reverse("members:contact"),
            {"name": "Zebedee Quillfeather", "email": ZEB["email"], "role": "councillor", "message": "Hello team"},
        )
        other_client.post(
            reverse("members:contact"),
            {"name": "Ottoline Brackenbury", "email": OTHER["email"], "role": "councillor", "message": "Hi"},
        )
        AppointmentFactory(member=zeb, council=camden)
        services.reconfirmation_start(councils=[camden])
        LogEntry.objects.log_actions(staff.pk, [zeb, other], CHANGE, change_message="Checked the ward.")
        zeb_client.post(reverse("members:data-export"))
    zeb.refresh_from_db()
    return {"zeb": zeb, "other": other, "zeb_client": zeb_client, "other_client": other_client}


def _export(client) -> dict:
    response = client.post(reverse("members:data-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def test_export_contains_all_of_the_members_data(footprint):
    zeb = footprint["zeb"]
    data = _export(footprint["zeb_client"])["data"]

    assert data["members.User"][0]["email"] == ZEB["email"]
    assert data["members.User"][0]["last_name"] == ZEB["last_name"]
    assert "password" not in data["members.User"][0]
    assert data["members.Member"][0]["ward"] == "Pemberton Heath"
    assert data["members.Member"][0]["council"]["label"] == "Camden"
    history = data["members.ConsentRecord"]
    assert len(history) == ConsentRecord.objects.filter(member=zeb).count()
    assert {(r["kind"], r["granted"]) for r in history} >= {("digest", True), ("digest", False)}
    assert all(r["recorded_at"] and r["wording_version"] for r in history)
    assert [e["email"] for e in data["account.EmailAddress"]] == [ZEB["email"]]
    assert len(data["members.Appointment"]) == 1
    assert len(data["members.Reconfirmation"]) == 1
    assert [e["message"] for e in data["members.ContactEnquiry"]] == ["Hello team"]
    kinds = {row["kind"] for row in data["network_portal.OutboxEmail"]}
    assert {"member-approved", "member-reconfirm", "staff-member-pending", "contact-enquiry"} <= kinds
    assert len(data["members.DataExport"]) == 1  # the earlier export in the fixture


def test_export_contains_nobody_elses_data(footprint):
    text = json.dumps(_export(footprint["zeb_client"]))
    for value in OTHER.values():
        assert value.lower() not in text.lower()
    assert "Bloomsbury" not in text
    # Emails about Zebedee went to the team; the team's address is not his to download.
    assert "team@thrive.test" not in text


def test_each_export_is_logged(footprint):
    before = DataExport.objects.filter(user=footprint["zeb"].user).count()
    _export(footprint["zeb_client"])
    assert DataExport.objects.filter(user=footprint["zeb"].user).count() == before + 1


def test_export_needs_a_post(footprint):
    assert footprint["zeb_client"].get(reverse("members:data-export")).status_code == 405


def _text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            """
        )
        return cursor.fetchall()


def _columns_containing(needle: str) -> list[str]:
    hits = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
            # Names come from information_schema, not from input, and are quoted.
            sql = f"SELECT count(*) FROM {quoted_table} WHERE {quoted_column}::text ILIKE %s"  # noqa: S608
            cursor.execute(sql, [f"%{needle}%"])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def _aggregates() -> dict:
    counts = {model._meta.label: model._base_manager.count() for model in privacy.guarded_models()}
    counts["members by council, role and status"] = sorted(
        Member.objects.values_list("council__slug", "role", "status").order_by()
    )
    return counts


def test_erasure_leaves_no_trace_of_email_or_name_in_any_text_column(footprint):
    zeb_client = footprint["zeb_client"]
    assert _columns_containing(ZEB["email"]), "the scan must see the member's data before erasure"
    before = _aggregates()

    response = zeb_client.post(reverse("members:account-delete"), {"password": PASSWORD})

    assert response.status_code == 302
    for needle in [ZEB["email"], ZEB["first_name"], ZEB["last_name"], "Pemberton Heath"]:
        assert _columns_containing(needle) == [], needle
    assert _aggregates() == before
    # Ottoline is untouched.
    assert _columns_containing(OTHER["email"])
    assert User.objects.filter(email=OTHER["email"], is_active=True).exists()


def test_erasure_ends_every_session_and_deactivates_the_login(footprint):
    zeb = footprint["zeb"]
    second_device = Client()
    second_device.force_login(zeb.user)

    footprint["zeb_client"].post(reverse("members:account-delete"), {"password": PASSWORD})

    user = User.objects.get(pk=zeb.user_id)
    assert not user.is_active and not user.has_usable_password()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    assert second_device.get(reverse("members:account")).status_code == 302
    assert not Client().login(email=ZEB["email"], password=PASSWORD)
    assert not EmailAddress.objects.filter(email__iexact=ZEB["email"]).exists()


def test_erasure_keeps_the_membership_row_and_consent_history_for_counts(footprint):
    zeb = footprint["zeb"]
    records = ConsentRecord.objects.filter(member=zeb).count()
    footprint["zeb_client"].post(reverse("members:account-delete"), {"password": PASSWORD})
    zeb.refresh_from_db()
    assert (zeb.role, zeb.council.slug, zeb.ward) == ("councillor", "camden", "")
    assert not (zeb.consent_directory or zeb.consent_digest or zeb.consent_research)
    assert ConsentRecord.objects.filter(member=zeb).count() == records


def test_erasure_skips_emails_not_yet_sent(camden):
    member = member_at(camden)
    with services.transaction.atomic():
        services.notify(
            template="member-approved",
            to_email=member.user.email,
            kind="member-approved",
            dedupe_key="test:unsent",
            user=member.user,
            context={"member": member},
        )
    services.member_erase(user=member.user)
    row = OutboxEmail.objects.get(dedupe_key="test:unsent")
    assert row.status == "skipped"
    assert member.user.email not in row.to_email


def test_wrong_password_deletes_nothing(footprint):
    zeb = footprint["zeb"]
    response = footprint["zeb_client"].post(reverse("members:account-delete"), {"password": "not-my-password"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert User.objects.get(pk=zeb.user_id).email == ZEB["email"]
    assert footprint["zeb_client"].get(reverse("members:account")).status_code == 200


def test_delete_page_asks_for_the_password(footprint):
    response = footprint["zeb_client"].get(reverse("members:account-delete"))
    assert response.status_code == 200
    assert 'type="password"' in response.content.decode()


def test_every_field_of_every_model_is_classified():
    """The unclassified-field guard: a new field must be declared personal or kept."""
    assert privacy.unclassified_fields() == []


def test_guard_reports_a_field_missing_from_the_registry(monkeypatch):
    member_spec = privacy.spec_for(Member)
    without_ward = privacy.PersonalData(
        model=member_spec.model,
        owner=member_spec.owner,
        personal=tuple(name for name in member_spec.personal if name != "ward"),
        kept=member_spec.kept,
    )
    monkeypatch.setitem(privacy.personal_data.entries, "members.Member", without_ward)
    assert privacy.unclassified_fields([Member]) == ["members.Member.ward"]


def test_guard_reports_an_unregistered_model(monkeypatch):
    monkeypatch.delitem(privacy.personal_data.entries, "members.DataExport")
    assert "members.DataExport.user" in privacy.unclassified_fields([DataExport])


def test_guard_covers_every_app_and_allauth_email_rows():
    labels = {model._meta.label for model in privacy.guarded_models()}
    for app in ["members", "meetings", "training", "resources", "network_portal"]:
        assert {m._meta.label for m in apps.get_app_config(app).get_models()} <= labels
    assert "account.EmailAddress" in labels


def test_a_field_cannot_be_both_personal_and_kept():
    with pytest.raises(privacy.ImproperlyConfigured):
        privacy.register(privacy.PersonalData(model="x.Y", owner=None, personal=("a",), kept=("a",)))
