"""My account: profile edit, consent toggles and the sections other apps fill."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from members.consents import WORDINGS
from members.models import ConsentRecord, Member, Topic

from .factories import member_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(signed_in_member):
    return signed_in_member


def test_account_page_needs_login(client):
    response = client.get(reverse("members:account"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_account_shows_profile_consents_and_links_to_email_change(client, member):
    response = client.get(reverse("members:account"))
    html = response.content.decode()
    assert member.council.name in html
    assert reverse("account_email") in html
    assert reverse("members:profile-edit") in html
    for wording in WORDINGS.values():
        assert wording.kind in html
    assert reverse("members:data-export") in html
    assert reverse("members:account-delete") in html


def test_account_lists_interests_in_the_topics_order(client, member, topics):
    first, second, third = topics[2], topics[4], topics[6]
    Topic.objects.filter(pk=third.pk).update(position=first.position)  # a tie on position: by name
    member.interests.set([third, second, first])
    shown = ", ".join(t.name for t in Topic.objects.filter(interested_members=member))  # position, then name

    html = client.get(reverse("members:account")).content.decode()

    assert f'Interests</dt><dd class="col-sm-9">{escape(shown)}</dd>' in html
    assert shown == ", ".join(sorted([first.name, third.name]) + [second.name])


def test_account_without_interests_says_none_chosen(client, member):
    html = client.get(reverse("members:account")).content.decode()
    assert 'Interests</dt><dd class="col-sm-9">None chosen</dd>' in html


def test_account_for_a_login_without_membership_shows_the_login_and_no_profile(client, staff):
    client.force_login(staff)
    response = client.get(reverse("members:account"))
    assert response.status_code == 200
    assert "Your login" in response.text and "Your profile" not in response.text


def test_profile_edit_updates_names_ward_and_interests(client, member, topics):
    chosen = list(topics[:3])
    response = client.post(
        reverse("members:profile-edit"),
        {"first_name": "Grace", "last_name": "Hopper", "ward": "Highgate", "interests": [t.pk for t in chosen]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.user.first_name, member.user.last_name, member.ward) == ("Grace", "Hopper", "Highgate")
    assert set(member.interests.all()) == set(chosen)


def test_officer_profile_requires_a_job_title_and_changes_nothing_without_it(client, camden):
    officer = member_at(camden, role="officer", job_title="Analyst")
    client.force_login(officer.user)
    response = client.post(reverse("members:profile-edit"), {"first_name": "A", "last_name": "B", "job_title": ""})
    assert response.status_code == 200
    assert "job_title" in response.context["form"].errors
    officer.refresh_from_db()
    assert officer.job_title == "Analyst"


def test_profile_edit_does_not_offer_email_or_council(client, member):
    form = client.get(reverse("members:profile-edit")).context["form"]
    assert "email" not in form.fields and "council" not in form.fields


def test_withdrawing_a_consent_is_one_post_and_is_recorded(client, member):
    member.consent_directory = True
    member.save()

    response = client.post(reverse("members:consent-update"), {"kind": "directory", "granted": "0"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.consent_directory is False
    record = ConsentRecord.objects.get(member=member)
    assert (record.kind, record.granted, record.wording_version) == ("directory", False, WORDINGS["directory"].version)


def test_granting_then_withdrawing_keeps_the_full_history(client, member):
    for granted in ["1", "0", "1"]:
        client.post(reverse("members:consent-update"), {"kind": "research", "granted": granted})
    history = list(ConsentRecord.objects.filter(member=member, kind="research").order_by("recorded_at", "pk"))
    assert [r.granted for r in history] == [True, False, True]
    assert Member.objects.get(pk=member.pk).consent_research is True


def test_consent_toggle_refuses_get(client, member):
    response = client.get(reverse("members:consent-update"), {"kind": "directory", "granted": "1"})
    assert response.status_code == 405
    assert not ConsentRecord.objects.exists()


def test_consent_toggle_refuses_a_post_without_csrf_token(member):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(member.user)
    response = csrf_client.post(reverse("members:consent-update"), {"kind": "directory", "granted": "1"})
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_unknown_consent_kind_changes_nothing(client, member):
    response = client.post(reverse("members:consent-update"), {"kind": "party", "granted": "1"})
    assert response.status_code == 302
    assert not ConsentRecord.objects.exists()


def test_account_keeps_the_include_spot_for_other_apps():
    from pathlib import Path

    template = Path(__file__).resolve().parents[2] / "templates" / "members" / "account.html"
    assert '{# Each app adds its own "My ..." section here with one include line. #}' in template.read_text()


def test_email_change_asks_for_the_password_again(client, member):
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@camden.gov.uk"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert member.user.emailaddress_set.filter(email="new@camden.gov.uk").exists() is False


def test_verified_new_council_address_replaces_the_old_one_and_approves_a_pending_member(
    client, camden, django_capture_on_commit_callbacks
):
    import re

    from allauth.account.models import EmailAddress

    from network_portal.models import OutboxEmail
    from tests.factories import PASSWORD

    pending = member_at(camden, status="pending", user__email="kit@gmail.com")
    client.post(reverse("account_login"), {"login": "kit@gmail.com", "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.post(reverse("account_email"), {"action_add": "", "email": "kit@camden.gov.uk"})
    row = OutboxEmail.objects.filter(to_email="kit@camden.gov.uk").latest("created_at")
    client.post(re.search(r"/accounts/confirm-email/[^/\s]+/", row.body_text).group(0))

    pending.refresh_from_db()
    pending.user.refresh_from_db()
    assert pending.user.email == "kit@camden.gov.uk"
    assert list(EmailAddress.objects.filter(user=pending.user).values_list("email", flat=True)) == ["kit@camden.gov.uk"]
    assert pending.status == Member.Status.APPROVED
