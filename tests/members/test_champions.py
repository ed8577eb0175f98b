"""Champions and lead officers, /champions/ and the council pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from members.models import Appointment, Council

from .factories import AppointmentFactory, member_at

pytestmark = pytest.mark.django_db


def test_several_champions_per_council_are_allowed(camden):
    for _ in range(3):
        AppointmentFactory(member=member_at(camden))
    assert Appointment.objects.current().filter(council=camden, role="champion").count() == 3


def test_only_one_open_lead_officer_per_council(camden):
    AppointmentFactory(member=member_at(camden, role="officer"), role="lead_officer")
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(member=member_at(camden, role="officer"), role="lead_officer")


def test_appointment_cannot_end_before_it_starts(camden):
    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(member=member_at(camden), since=today, until=today - timedelta(days=1))


def test_champion_must_be_a_councillor_of_that_council(camden, hackney):
    officer = member_at(camden, role="officer")
    with pytest.raises(ValidationError) as error:
        Appointment(member=officer, council=camden, role="champion").full_clean()
    assert "councillor" in str(error.value)
    with pytest.raises(ValidationError):
        Appointment(member=member_at(hackney), council=camden, role="champion").full_clean()


def test_ended_appointments_are_not_current(camden):
    today = timezone.localdate()
    AppointmentFactory(member=member_at(camden), since=today - timedelta(days=400), until=today - timedelta(days=1))
    assert not Appointment.objects.current().exists()


def test_champions_page_names_only_people_who_agreed_to_public_listing(client, camden, hackney):
    listed = member_at(camden, consent_public=True, user__first_name="Philippa", user__last_name="Listed")
    unlisted = member_at(hackney, consent_public=False, user__first_name="Horace", user__last_name="Unlisted")
    AppointmentFactory(member=listed)
    AppointmentFactory(member=unlisted)

    html = client.get(reverse("members:champions")).content.decode()

    assert "Philippa Listed" in html
    assert "Horace Unlisted" not in html
    assert "Appointed (not named publicly)" in html


def test_champions_page_lists_councils_with_a_champion_first_and_the_rest_compactly(
    client, london_councils, camden, django_assert_max_num_queries
):
    AppointmentFactory(member=member_at(camden, consent_public=True))
    with django_assert_max_num_queries(4):
        response = client.get(reverse("members:champions"))
    html = response.content.decode()
    for council in Council.objects.all():
        assert council.name.replace("&", "&amp;") in html
    recorded, unrecorded = html.split("Councils with no champion recorded yet")
    assert 'href="/councils/camden/"' in recorded
    assert "/contact/?council=camden" not in html
    # Every other council invites a message to the team, with the council filled in.
    for council in Council.objects.exclude(pk=camden.pk):
        assert f'href="/contact/?council={council.slug}"' in unrecorded
    assert "No champion or lead officer recorded yet." not in html


def test_contact_link_from_the_champions_page_fills_in_the_council(client, camden):
    form = client.get("/contact/", {"council": "camden"}).context["form"]
    assert form["council"].value() == camden.pk
    assert "Camden" in form["message"].value()
    assert client.get("/contact/", {"council": "nowhere"}).context["form"]["council"].value() is None


def test_council_page_shows_members_count_and_champions(client, camden):
    approved = [member_at(camden) for _ in range(3)]
    member_at(camden, status="pending")
    AppointmentFactory(member=approved[0])
    AppointmentFactory(member=member_at(camden, role="officer"), role="lead_officer")

    response = client.get(reverse("members:council-detail", kwargs={"slug": camden.slug}))

    assert response.status_code == 200
    assert response.context["council"].approved_count == len(approved) + 1
    assert "4 approved members" in response.content.decode()
    assert "Lead officer" in response.content.decode()


def test_council_page_hides_unlisted_names_from_the_public_but_shows_them_to_members(client, camden):
    champion = member_at(camden, consent_public=False, user__first_name="Cordelia", user__last_name="Hidden")
    AppointmentFactory(member=champion)
    url = reverse("members:council-detail", kwargs={"slug": camden.slug})

    assert "Cordelia Hidden" not in client.get(url).content.decode()
    client.force_login(member_at(camden).user)
    assert "Cordelia Hidden" in client.get(url).content.decode()


def test_council_page_includes_the_training_coverage_template_when_it_exists(client, camden, settings, tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "_council_coverage.html").write_text("<p>Coverage slot for {{ council.name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    response = client.get(reverse("members:council-detail", kwargs={"slug": camden.slug}))

    assert "<p>Coverage slot for Camden</p>" in response.content.decode()


def test_council_page_works_without_the_training_coverage_template(client, camden, monkeypatch):
    monkeypatch.setattr("members.views.TRAINING_COVERAGE_TEMPLATE", "training/_no_such_template.html")
    response = client.get(reverse("members:council-detail", kwargs={"slug": camden.slug}))
    assert response.status_code == 200
    assert response.context["show_training_coverage"] is False


def test_unknown_council_is_404(client, london_councils):
    assert client.get(reverse("members:council-detail", kwargs={"slug": "atlantis"})).status_code == 404


def test_council_list_links_every_council(client, london_councils):
    html = client.get(reverse("members:council-list")).content.decode()
    for council in london_councils:
        assert council.get_absolute_url() in html


@pytest.mark.parametrize("volume", [2, 40])
def test_council_page_query_count_does_not_grow_with_members(client, camden, volume, django_assert_max_num_queries):
    for _ in range(volume):
        AppointmentFactory(member=member_at(camden))
    client.force_login(member_at(camden).user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("members:council-detail", kwargs={"slug": camden.slug}))
    assert response.status_code == 200
