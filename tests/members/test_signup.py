"""Joining: the sign-up form's rules and the approval matrix after email verification."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from members.consents import SIGNUP_KINDS, WORDINGS
from members.models import ConsentRecord, Member, User
from network_portal.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-2026"


def _form(chosen, **overrides):
    council = chosen
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"ada.lovelace@{council.domain_list[0]}",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": "councillor",
        "council": council.pk,
        "ward": "Kentish Town",
        "job_title": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _sign_up(client, chosen, **overrides):
    return client.post(reverse("account_signup"), _form(chosen, **overrides))


def _confirm(client, email):
    """Follow the verification link from the outbox, as the member would."""
    row = OutboxEmail.objects.filter(to_email=email, kind__startswith="account:").latest("created_at")
    path = re.search(r"/accounts/confirm-email/[^/\s]+/", row.body_text).group(0)
    return client.post(path)


def test_signup_form_asks_for_membership_details_but_never_political_party(client, london_councils):
    response = client.get(reverse("account_signup"))
    form = response.context["form"]
    for field in ["first_name", "last_name", "role", "council", "ward", "job_title", "interests"]:
        assert field in form.fields
    assert not [name for name in form.fields if "party" in name or "politic" in name]
    assert b"party" not in response.content.lower().replace(b"do not ask about political party", b"")


def test_signup_offers_councillor_and_officer_but_not_partner(client, london_councils):
    form = client.get(reverse("account_signup")).context["form"]
    assert [value for value, _ in form.fields["role"].choices] == ["councillor", "officer"]


def test_signup_consents_are_three_separate_unticked_boxes(client, london_councils):
    response = client.get(reverse("account_signup"))
    html = response.content.decode()
    for kind in SIGNUP_KINDS:
        box = re.search(rf'<input[^>]*name="consent_{kind}"[^>]*>', html).group(0)
        assert "checked" not in box
        assert escape(WORDINGS[kind].label) in html


def test_council_domain_councillor_is_approved_once_email_is_verified(client, camden):
    _sign_up(client, camden)
    member = Member.objects.get(user__email="ada.lovelace@camden.gov.uk")
    assert member.status == Member.Status.PENDING  # not until the address is proved

    _confirm(client, "ada.lovelace@camden.gov.uk")

    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED
    assert member.status_changed_at is not None
    assert not OutboxEmail.objects.filter(kind="staff-member-pending").exists()


def test_council_domain_officer_is_approved_once_email_is_verified(client, camden):
    _sign_up(client, camden, role="officer", ward="", job_title="Public health lead", email="o.one@camden.gov.uk")
    _confirm(client, "o.one@camden.gov.uk")
    member = Member.objects.get(user__email="o.one@camden.gov.uk")
    assert (member.status, member.role, member.job_title, member.ward) == (
        "approved",
        "officer",
        "Public health lead",
        "",
    )


def test_email_on_another_councils_domain_is_a_form_error_naming_that_council(client, camden, hackney):
    response = _sign_up(client, camden, email="ada@hackney.gov.uk")

    assert response.status_code == 200
    errors = response.context["form"].errors["council"]
    assert "Hackney" in errors[0]
    assert "hackney.gov.uk" in errors[0]
    assert not User.objects.filter(email="ada@hackney.gov.uk").exists()


def test_personal_email_waits_as_pending_and_each_staff_address_gets_one_email(client, camden, settings):
    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test", "second@thrive.test"]
    _sign_up(client, camden, email="ada.personal@gmail.com")
    _confirm(client, "ada.personal@gmail.com")

    member = Member.objects.get(user__email="ada.personal@gmail.com")
    assert member.status == Member.Status.PENDING
    notices = OutboxEmail.objects.filter(kind="staff-member-pending")
    assert sorted(notices.values_list("to_email", flat=True)) == ["second@thrive.test", "team@thrive.test"]
    assert "ada.personal@gmail.com" in notices[0].body_text
    assert reverse("admin:members_member_change", args=[member.pk]) in notices[0].body_text


def test_staff_are_not_emailed_twice_about_the_same_pending_member(camden, settings):
    from members import services

    settings.STAFF_NOTIFY_EMAILS = ["team@thrive.test"]
    member = Member.objects.create(user=UserFactory(email="x@gmail.com"), role="councillor", council=camden, ward="W")
    services.member_email_verified(user=member.user, email="x@gmail.com")
    services.member_email_verified(user=member.user, email="x@gmail.com")
    assert OutboxEmail.objects.filter(kind="staff-member-pending").count() == 1


def test_partner_role_cannot_be_chosen_at_signup(client, camden):
    response = _sign_up(client, camden, role="partner")
    assert "role" in response.context["form"].errors
    assert not User.objects.exists()


def test_partner_added_by_staff_is_never_approved_by_domain(camden):
    from members import services

    user = UserFactory(email="p@camden.gov.uk")
    member = Member.objects.create(user=user, role="partner", council=None, organisation="NHS Trust")
    services.member_email_verified(user=user, email="p@camden.gov.uk")
    member.refresh_from_db()
    assert member.status == Member.Status.PENDING


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"council": "999999"}, "council"),
        ({"council": "not-a-council"}, "council"),
        ({"role": "officer", "ward": "Kentish Town", "job_title": "Analyst"}, "ward"),
        ({"role": "officer", "ward": "", "job_title": ""}, "job_title"),
        ({"role": "councillor", "ward": ""}, "ward"),
        ({"first_name": ""}, "first_name"),
        ({"password2": "something-else-entirely"}, "password2"),
    ],
)
def test_bad_signup_input_is_a_form_error_and_nothing_is_saved(client, camden, overrides, field):
    response = _sign_up(client, camden, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()
    assert not Member.objects.exists()
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize("email", ["ada.lovelace@camden.gov.uk", "ADA.Lovelace@Camden.gov.uk"])
def test_duplicate_email_looks_like_a_new_signup_saves_nothing_and_tells_the_owner(client, camden, email):
    # No enumeration: a stranger cannot learn that the address is registered.
    UserFactory(email="ada.lovelace@camden.gov.uk")
    fresh = _sign_up(client, camden, email="someone.new@camden.gov.uk")
    client.logout()
    duplicate = _sign_up(client, camden, email=email)
    assert duplicate.status_code == fresh.status_code == 302
    assert duplicate["Location"] == fresh["Location"]
    assert User.objects.filter(email__iexact="ada.lovelace@camden.gov.uk").count() == 1
    assert not Member.objects.filter(user__email__iexact="ada.lovelace@camden.gov.uk").exists()
    notice = OutboxEmail.objects.get(to_email__iexact="ada.lovelace@camden.gov.uk")
    assert notice.kind == "account:account_already_exists"


def test_signup_stores_each_consent_with_its_wording_version_and_time(client, camden, topics):
    chosen = list(topics[:2])
    _sign_up(client, camden, consent_directory="on", consent_research="on", interests=[t.pk for t in chosen])
    member = Member.objects.get()
    assert (member.consent_directory, member.consent_digest, member.consent_research) == (True, False, True)
    assert set(member.interests.all()) == set(chosen)
    records = {r.kind: r for r in ConsentRecord.objects.filter(member=member)}
    assert set(records) == set(SIGNUP_KINDS)
    for kind, record in records.items():
        assert record.wording_version == WORDINGS[kind].version
        assert record.recorded_at is not None
    assert records["directory"].granted and records["research"].granted and not records["digest"].granted


def test_names_from_signup_are_saved_on_the_login(client, camden):
    _sign_up(client, camden)
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")


def test_pending_member_who_adds_a_council_address_later_is_approved_when_it_is_verified(client, camden):
    from members import services

    user = UserFactory(email="ada@gmail.com")
    member = Member.objects.create(user=user, role="councillor", council=camden, ward="W")
    services.member_email_verified(user=user, email="ada@gmail.com")
    services.member_email_verified(user=user, email="ada@camden.gov.uk")
    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED
