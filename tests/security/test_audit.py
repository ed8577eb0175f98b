"""The audit log of staff access to personal data, append-only from the admin."""

import pytest
from django.urls import reverse

from meetings.models import Registration
from network_portal.models import AuditEvent
from tests.factories import MemberFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.training.factories import (
    BookingFactory,
    ResearchProjectFactory,
    SessionFactory,
    researcher_on_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_member_csv_export_is_logged_with_its_row_count_and_filters(staff_client, staff_user, london_councils):
    members = [MemberFactory() for _ in range(3)]
    response = staff_client.get(reverse("admin:members_member_export") + "?status__exact=approved")
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.MEMBER_EXPORT
    assert (event.actor, event.actor_email) == (staff_user, staff_user.email)
    assert event.row_count == len(members)
    assert "status__exact=approved" in event.detail


def test_viewing_a_member_in_the_admin_is_logged_against_that_member(staff_client, london_councils):
    member = MemberFactory()
    response = staff_client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.MEMBER_VIEW
    assert event.subject_user == member.user
    assert list(AuditEvent.objects.about_user(member.user.pk)) == [event]


def test_viewing_a_login_in_the_admin_is_logged_against_that_person(staff_client, london_councils):
    member = MemberFactory()
    assert staff_client.get(reverse("admin:members_user_change", args=[member.user.pk])).status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.subject_user) == (AuditEvent.Action.MEMBER_VIEW, member.user)


def test_saving_a_member_is_not_logged_as_a_view(staff_client, london_councils):
    member = MemberFactory()
    staff_client.post(reverse("admin:members_member_change", args=[member.pk]), {})
    assert not AuditEvent.objects.exists()


def _meeting_with_registrations():
    meeting = MeetingFactory()
    return meeting, RegistrationFactory.create_batch(2, meeting=meeting)


def _session_with_bookings():
    session = SessionFactory()
    return session, BookingFactory.create_batch(3, session=session)


@pytest.mark.parametrize(
    ("changelist", "event_with_people"),
    [
        ("admin:meetings_meeting_changelist", _meeting_with_registrations),
        ("admin:training_session_changelist", _session_with_bookings),
    ],
    ids=["meeting", "training"],
)
def test_register_csv_is_logged(staff_client, changelist, event_with_people):
    event, people = event_with_people()
    response = staff_client.post(reverse(changelist), {"action": "export_register", "_selected_action": [event.pk]})
    assert response["Content-Type"].startswith("text/csv")
    logged = AuditEvent.objects.get()
    assert (logged.action, logged.row_count) == (AuditEvent.Action.REGISTER_EXPORT, len(people))


def test_selected_registrations_csv_is_logged(staff_client):
    registration = RegistrationFactory()
    staff_client.post(
        reverse("admin:meetings_registration_changelist"),
        {"action": "export_register", "_selected_action": [registration.pk]},
    )
    assert AuditEvent.objects.get().row_count == Registration.objects.count()


def test_research_export_is_logged(client):
    researcher, project = researcher_on_project()
    client.force_login(researcher)
    assert client.get(reverse("training:research-package", args=[project.pk])).status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == (AuditEvent.Action.RESEARCH_EXPORT, researcher)


def test_a_refused_export_is_not_logged(client, london_councils):
    client.force_login(MemberFactory().user)
    project = ResearchProjectFactory()
    assert client.get(reverse("training:research-package", args=[project.pk])).status_code == 403
    assert not AuditEvent.objects.exists()


def test_the_audit_log_is_read_only_in_the_admin(staff_client, london_councils):
    member = MemberFactory()
    staff_client.get(reverse("admin:members_member_change", args=[member.pk]))
    event = AuditEvent.objects.get()
    assert staff_client.get(reverse("admin:network_portal_auditevent_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:network_portal_auditevent_add")).status_code == 403
    assert staff_client.get(reverse("admin:network_portal_auditevent_delete", args=[event.pk])).status_code == 403
    before = AuditEvent.objects.count()
    staff_client.post(reverse("admin:network_portal_auditevent_change", args=[event.pk]), {"detail": "edited"})
    event.refresh_from_db()
    assert event.detail != "edited"
    # Viewing the audit log itself adds no rows; the two member views above did.
    assert AuditEvent.objects.count() == before
    changelist = staff_client.post(
        reverse("admin:network_portal_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert changelist.status_code in {200, 302}
    assert AuditEvent.objects.filter(pk=event.pk).exists()
