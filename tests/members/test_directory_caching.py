"""The members' directory is served from a cached copy of its filter form, count, cards and
page links, kept on a DIRECTORY version. Every write that changes what it shows, through a
service or an admin save, shows on the very next request; the date alone starts and ends
appointments."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Appointment, Reconfirmation, User
from network_portal import caching

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fragments_are_kept():
    # Embedded mode keeps no fragment; these tests are about the kept copy.
    assert caching.fragment_seconds() > 0


@pytest.fixture
def viewer(signed_in_member):
    return signed_in_member


@pytest.fixture
def listed(camden, viewer):
    return member_at(
        camden, consent_directory=True, ward="Kentish Town", user__first_name="Ada", user__last_name="Quill"
    )


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def _directory(client, **params) -> str:
    response = client.get(reverse("members:directory"), params)
    assert response.status_code == 200
    return response.content.decode()


def _card_of(page: str, name: str) -> str:
    """The card of the member called name, or "" when they are not listed."""
    start = page.find(f">{name}</h3>")
    return page[start : page.find("</li>", start)] if start >= 0 else ""


def test_the_directory_is_served_from_its_cached_copy_between_writes(client, listed):
    assert _card_of(_directory(client), "Ada Quill")
    # A write that sends no signal and bumps nothing: the cached copy is still served.
    User.objects.filter(pk=listed.user_id).update(first_name="Unseen")
    assert _card_of(_directory(client), "Ada Quill")


def test_a_login_leaves_the_cached_directory_in_place(client, listed):
    _directory(client)
    before = caching.version(caching.DIRECTORY)
    Client().force_login(listed.user)  # saves the login's last_login, and nothing else
    assert caching.version(caching.DIRECTORY) == before
    assert User.objects.get(pk=listed.user_id).last_login


def test_search_filters_and_pages_are_cached_apart(client, listed, camden, hackney, settings):
    settings.MEMBERS_DIRECTORY_PAGE_SIZE = 1
    member_at(hackney, consent_directory=True, user__first_name="Bea", user__last_name="Zed")
    assert _card_of(_directory(client, q="Quill"), "Ada Quill")
    assert not _card_of(_directory(client, q="Zed"), "Ada Quill")
    assert _card_of(_directory(client, council=hackney.pk), "Bea Zed")
    assert not _card_of(_directory(client, council=hackney.pk), "Ada Quill")
    first, second = _directory(client, page=1), _directory(client, page=2)
    assert _card_of(first, "Ada Quill") and not _card_of(first, "Bea Zed")
    assert _card_of(second, "Bea Zed") and "page=1" in second


def test_a_filter_refused_shows_the_error_summary_from_the_cached_copy_too(client, listed):
    for _ in range(2):
        page = _directory(client, council="999999")
        assert "<title>Error: Members' directory" in page
        assert "There is a problem" in page
        assert _card_of(page, "Ada Quill")  # the filter is left out, as before
    assert "There is a problem" not in _directory(client)


def test_a_profile_update_shows_on_the_next_request(client, listed, topics):
    _directory(client)
    services.member_profile_update(
        member=listed, first_name="Ada", last_name="Lovelace", ward="Highgate", interests=[topics.get(slug="housing")]
    )
    card = _card_of(_directory(client), "Ada Lovelace")
    assert "Highgate ward" in card
    assert "Interests: Housing" in card


def test_withdrawing_and_giving_directory_consent_shows_on_the_next_request(client, listed):
    _directory(client)
    services.consent_set(member=listed, kind="directory", granted=False, wording_version="test")
    assert not _card_of(_directory(client), "Ada Quill")
    services.consent_set(member=listed, kind="directory", granted=True, wording_version="test")
    assert _card_of(_directory(client), "Ada Quill")


def test_approval_shows_on_the_next_request(client, camden, viewer):
    waiting = member_at(
        camden, status="pending", consent_directory=True, user__first_name="Cy", user__last_name="Newcomer"
    )
    assert not _card_of(_directory(client), "Cy Newcomer")
    services.member_approve(member=waiting)
    assert _card_of(_directory(client), "Cy Newcomer")


def test_rejection_shows_on_the_next_request(client, listed):
    _directory(client)
    services.member_reject(member=listed, reason="Not a councillor here.")
    assert not _card_of(_directory(client), "Ada Quill")


def test_a_councillor_who_no_longer_serves_leaves_on_the_next_request(client, listed):
    _directory(client)
    now = timezone.now()
    question = Reconfirmation.objects.create(member=listed, requested_at=now, deadline=now + timedelta(days=7))
    services.reconfirmation_answer(reconfirmation=question, still_serving=False)
    assert not _card_of(_directory(client), "Ada Quill")


def test_a_deactivated_login_leaves_on_the_next_request(client, listed):
    _directory(client)
    services.user_deactivate(user=listed.user)
    assert not _card_of(_directory(client), "Ada Quill")


def test_an_erased_account_leaves_on_the_next_request(client, listed):
    _directory(client)
    services.member_erase(user=listed.user)
    page = _directory(client)
    assert not _card_of(page, "Ada Quill")
    assert "Kentish Town" not in page


def test_an_appointment_made_and_ended_shows_on_the_next_request(client, listed):
    assert "Member champion" not in _card_of(_directory(client), "Ada Quill")
    appointment = AppointmentFactory(member=listed)
    assert "Member champion" in _card_of(_directory(client), "Ada Quill")
    appointment.until = timezone.localdate()
    appointment.save()
    assert "Member champion" not in _card_of(_directory(client), "Ada Quill")
    AppointmentFactory(member=listed)
    _directory(client)
    Appointment.objects.filter(member=listed).delete()
    assert "Member champion" not in _card_of(_directory(client), "Ada Quill")


def test_an_appointment_starts_and_ends_with_the_date_without_any_write(client, viewer, listed):
    today = timezone.localdate()
    AppointmentFactory(member=listed, since=today + timedelta(days=1), until=today + timedelta(days=2))
    assert "Member champion" not in _card_of(_directory(client), "Ada Quill")
    for days_on, champion in [(1, True), (2, False)]:
        with time_machine.travel(timezone.now() + timedelta(days=days_on)):
            client.force_login(viewer.user)  # a sign-in lasts less than a day
            assert ("Member champion" in _card_of(_directory(client), "Ada Quill")) is champion


def test_a_council_renamed_through_its_service_shows_on_the_next_request(client, listed, camden):
    _directory(client)
    camden.name = "Camden Town"
    services.council_save(council=camden)
    assert ">Camden Town</a>" in _card_of(_directory(client), "Ada Quill")


def test_a_topic_renamed_through_its_service_shows_on_the_next_request(client, listed, topics):
    housing = topics.get(slug="housing")
    listed.interests.add(housing)
    _directory(client)
    housing.name = "Homes"
    services.topic_save(topic=housing)
    assert "Interests: Homes" in _card_of(_directory(client), "Ada Quill")


def test_interests_changed_shows_on_the_next_request(client, listed, topics):
    _directory(client)
    listed.interests.add(topics.get(slug="housing"))
    assert "Interests: Housing" in _card_of(_directory(client), "Ada Quill")
    listed.interests.clear()
    assert "Interests:" not in _card_of(_directory(client), "Ada Quill")


def test_a_name_changed_in_admin_shows_on_the_next_request(client, staff_client, listed):
    _directory(client)
    response = staff_client.post(
        reverse("admin:members_user_change", args=[listed.user_id]),
        {
            "email": listed.user.email,
            "first_name": "Ada",
            "last_name": "Byron",
            "is_active": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _card_of(_directory(client), "Ada Byron")


def test_a_member_changed_in_admin_shows_on_the_next_request(client, staff_client, listed, camden, topics):
    _directory(client)
    response = staff_client.post(
        reverse("admin:members_member_change", args=[listed.pk]),
        {
            "user": listed.user_id,
            "role": "councillor",
            "council": camden.pk,
            "ward": "Belsize",
            "interests": [topics.get(slug="housing").pk],
            "appointments-TOTAL_FORMS": "1",
            "appointments-INITIAL_FORMS": "0",
            "appointments-0-role": "champion",
            "appointments-0-council": camden.pk,
            "appointments-0-since": timezone.localdate().isoformat(),
            "consent_records-TOTAL_FORMS": "0",
            "consent_records-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    card = _card_of(_directory(client), "Ada Quill")
    assert "Belsize ward" in card
    assert "Interests: Housing" in card
    assert "Member champion" in card


def test_an_appointment_added_in_admin_shows_on_the_next_request(client, staff_client, listed, camden):
    _directory(client)
    response = staff_client.post(
        reverse("admin:members_appointment_add"),
        {
            "member": listed.pk,
            "council": camden.pk,
            "role": "champion",
            "since": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "Member champion" in _card_of(_directory(client), "Ada Quill")


def test_seeding_retires_the_cached_directory(listed):
    from tests.performance.conftest import SMALL, seed

    before = caching.version(caching.DIRECTORY)
    seed(SMALL, prefix="c")
    assert caching.version(caching.DIRECTORY) > before


def test_a_copy_kept_between_a_write_and_its_commit_is_retired_on_commit(django_capture_on_commit_callbacks):
    names = (caching.DIRECTORY, caching.FILTER_CHOICES)
    with django_capture_on_commit_callbacks(execute=True):
        services.directory_changed()
        # Another request renders from data our transaction has not committed yet.
        assert caching.versioned("test:directory", names, lambda: "before the commit") == "before the commit"
    assert caching.versioned("test:directory", names, lambda: "after the commit") == "after the commit"
    assert caching.versioned("test:directory", names, lambda: "not built again") == "after the commit"
