"""Election cycle: staff ask councillors whether they still serve; silence or "no" makes them alumni."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Member, Reconfirmation
from network_portal.models import OutboxEmail

from .factories import member_at

pytestmark = pytest.mark.django_db


def _link(member) -> str:
    body = OutboxEmail.objects.get(kind="member-reconfirm", user=member.user).body_text
    return re.search(r"/still-serving/\S+/", body).group(0)


def test_admin_action_asks_for_confirmation_then_emails_every_councillor_of_selected_councils(
    client, staff, camden, hackney, mailoutbox, django_capture_on_commit_callbacks
):
    councillors = [member_at(camden), member_at(camden)]
    member_at(camden, role="officer")
    member_at(camden, status="pending")
    elsewhere = member_at(hackney)
    client.force_login(staff)
    changelist = reverse("admin:members_council_changelist")
    chosen = {"action": "start_reconfirmation", "_selected_action": [camden.pk]}

    confirm_page = client.post(changelist, chosen)
    assert confirm_page.status_code == 200
    assert f"{len(councillors)} approved councillors" in confirm_page.content.decode()
    assert not Reconfirmation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {**chosen, "confirm": "yes"})

    assert sorted(m.to[0] for m in mailoutbox) == sorted(c.user.email for c in councillors)
    assert "/still-serving/" in mailoutbox[0].body
    assert not Reconfirmation.objects.filter(member=elsewhere).exists()


def test_councillors_already_waiting_are_not_asked_twice(camden):
    member_at(camden)
    assert services.reconfirmation_start(councils=[camden]) == 1
    assert services.reconfirmation_start(councils=[camden]) == 0
    assert OutboxEmail.objects.filter(kind="member-reconfirm").count() == 1


def test_confirming_keeps_the_membership(client, camden):
    member = member_at(camden)
    services.reconfirmation_start(councils=[camden])
    page = client.get(_link(member))
    assert page.status_code == 200
    assert b"still a councillor" in page.content

    client.post(_link(member), {"answer": "yes"})

    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED
    assert Reconfirmation.objects.get(member=member).outcome == "confirmed"


def test_saying_no_longer_serving_makes_a_former_councillor_who_loses_access(client, camden):
    member = member_at(camden)
    services.reconfirmation_start(councils=[camden])

    client.post(_link(member), {"answer": "no"})

    member.refresh_from_db()
    assert member.status == Member.Status.FORMER
    client.force_login(member.user)
    refused = client.get(reverse("members:directory"))
    assert refused.status_code == 403
    assert b"former councillor" in refused.content


def test_no_answer_by_the_deadline_makes_a_former_councillor(camden, settings):
    member = member_at(camden)
    start = timezone.now() - timedelta(days=settings.MEMBERS_RECONFIRM_DAYS + 1)
    services.reconfirmation_start(councils=[camden], now=start)
    answered = member_at(camden)
    services.reconfirmation_start(councils=[camden], now=start)
    services.reconfirmation_answer(
        reconfirmation=Reconfirmation.objects.get(member=answered), still_serving=True, now=start + timedelta(days=1)
    )

    assert services.reconfirmation_lapse_overdue() == 1

    member.refresh_from_db()
    answered.refresh_from_db()
    assert member.status == Member.Status.FORMER
    assert answered.status == Member.Status.APPROVED
    assert Reconfirmation.objects.get(member=member).outcome == "lapsed"


def test_lapse_task_runs_the_service(camden, settings):
    from members.tasks import reconfirmation_lapse_overdue

    member = member_at(camden)
    services.reconfirmation_start(councils=[camden], now=timezone.now() - timedelta(days=90))
    assert reconfirmation_lapse_overdue.delay().get() == 1
    member.refresh_from_db()
    assert member.status == Member.Status.FORMER


def test_answer_after_the_deadline_is_refused_and_changes_nothing(client, camden, settings):
    member = member_at(camden)
    services.reconfirmation_start(councils=[camden], now=timezone.now() - timedelta(days=90))
    response = client.post(_link(member), {"answer": "no"}, follow=True)
    assert b"has closed" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED


def test_second_answer_is_refused(client, camden):
    member = member_at(camden)
    services.reconfirmation_start(councils=[camden])
    client.post(_link(member), {"answer": "yes"})
    response = client.post(_link(member), {"answer": "no"}, follow=True)
    assert b"already answered" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "not-a-token", lambda t: t + "x"])
def test_tampered_link_shows_link_invalid_page(client, camden, mangle):
    member = member_at(camden)
    services.reconfirmation_start(councils=[camden])
    token = _link(member).split("/")[2]

    response = client.post(reverse("members:reconfirm", kwargs={"token": mangle(token)}), {"answer": "no"})

    assert response.status_code == 400
    assert b"invalid or has expired" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.APPROVED


def test_former_councillor_keeps_their_account_page(client, camden):
    member = member_at(camden, status="former")
    client.force_login(member.user)
    response = client.get(reverse("members:account"))
    assert response.status_code == 200
    assert b"former councillor" in response.content
