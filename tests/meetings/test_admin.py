import csv
import io
from datetime import datetime, timedelta

import icalendar
import pytest
from django.utils import timezone

from meetings.models import Action, Meeting, Paper, Registration
from network_portal.ics import LONDON
from network_portal.models import OutboxEmail
from tests.factories import MemberFactory, UserFactory

from .factories import ActionFactory, MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/meetings/meeting/"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _action(staff_client, action, meetings, **extra):
    data = {"action": action, "_selected_action": [m.pk for m in meetings], **extra}
    return staff_client.post(CHANGELIST, data, follow=True)


def _inline(prefix, rows=()):
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": len(rows),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def _change_form_data(meeting, **changes):
    local_start = timezone.localtime(changes.pop("starts_at", meeting.starts_at), LONDON)
    local_end = timezone.localtime(changes.pop("ends_at", meeting.ends_at), LONDON)
    data = {
        "title": meeting.title,
        "slug": meeting.slug,
        "chair": meeting.chair,
        "summary": meeting.summary,
        "agenda": meeting.agenda,
        "starts_at_0": f"{local_start:%d/%m/%Y}",
        "starts_at_1": f"{local_start:%H:%M:%S}",
        "ends_at_0": f"{local_end:%d/%m/%Y}",
        "ends_at_1": f"{local_end:%H:%M:%S}",
        "format": meeting.format,
        "venue_name": meeting.venue_name,
        "venue_address": meeting.venue_address,
        "in_person_capacity": "" if meeting.in_person_capacity is None else meeting.in_person_capacity,
        "joining_url": meeting.joining_url,
        "joining_notes": meeting.joining_notes,
        "minutes": meeting.minutes,
        "recording_url": meeting.recording_url,
        "cancellation_reason": meeting.cancellation_reason,
        **changes,
    }
    registrations = [
        {"id": r.pk, "meeting": meeting.pk, "attendance": r.attendance}
        for r in (meeting.registrations.order_by("status", "created_at") if meeting.pk else [])
    ]
    data.update(_inline("papers"))
    data.update(_inline("actions"))
    data.update(_inline("registrations", registrations))
    return data


def test_changing_the_time_in_admin_bumps_sequence_and_emails_registrants_the_new_ics(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(in_person_capacity=0)
    registered = RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)
    new_start = meeting.starts_at + timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{CHANGELIST}{meeting.pk}/change/",
            _change_form_data(meeting, starts_at=new_start, ends_at=new_start + timedelta(hours=2)),
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.starts_at == new_start
    assert meeting.sequence == 1
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert set(by_recipient) == {registered.user.email, waiting.user.email}
    notice = by_recipient[registered.user.email]
    assert notice.subject == f"Changed: {meeting.title}"
    event = icalendar.Calendar.from_ical(notice.attachments[0][1]).walk("VEVENT")[0]
    assert event["sequence"] == 1
    assert event.start == new_start
    # The waiting list is told too (issue 15), with the new time but never the joining link.
    (waiting_attachment,) = by_recipient[waiting.user.email].attachments
    waiting_event = icalendar.Calendar.from_ical(waiting_attachment[1]).walk("VEVENT")[0]
    assert (waiting_event["sequence"], waiting_event.start) == (1, new_start)
    assert meeting.joining_url not in waiting_attachment[1]


def test_editing_only_the_summary_sends_nothing_and_keeps_the_sequence(staff_client, mailoutbox):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)

    response = staff_client.post(f"{CHANGELIST}{meeting.pk}/change/", _change_form_data(meeting, summary="New"))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.summary, meeting.sequence) == ("New", 0)
    assert not OutboxEmail.objects.exists()


def test_admin_add_creates_a_draft(staff_client):
    meeting = MeetingFactory.build(slug="summer-meeting")

    response = staff_client.post(f"{CHANGELIST}add/", _change_form_data(meeting))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Meeting.objects.get(slug="summer-meeting").status == Meeting.Status.DRAFT


def test_admin_refuses_reserved_slug(staff_client):
    meeting = MeetingFactory.build(slug="feedback")

    response = staff_client.post(f"{CHANGELIST}add/", _change_form_data(meeting))

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert not Meeting.objects.exists()


def test_publish_action_publishes_drafts_with_a_venue(staff_client):
    ready = MeetingFactory(status=Meeting.Status.DRAFT)
    no_venue = MeetingFactory(status=Meeting.Status.DRAFT, venue_name="")

    response = _action(staff_client, "publish", [ready, no_venue])

    ready.refresh_from_db(), no_venue.refresh_from_db()
    assert ready.status == Meeting.Status.PUBLISHED
    assert no_venue.status == Meeting.Status.DRAFT
    assert "add the venue before publishing" in response.content.decode()


def test_cancel_action_asks_first_then_notifies_registered_and_waiting(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    people = [
        RegistrationFactory(meeting=meeting),
        RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED),
    ]
    RegistrationFactory(meeting=meeting, status=Registration.Status.CANCELLED)

    confirm = _action(staff_client, "cancel_with_notices", [meeting])
    assert "Yes, cancel and send notices" in confirm.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED

    with django_capture_on_commit_callbacks(execute=True):
        _action(staff_client, "cancel_with_notices", [meeting], confirm="yes", reason="The venue flooded.")

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.sequence == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.user.email for r in people)
    assert all("The venue flooded." in m.body for m in mailoutbox)
    event = icalendar.Calendar.from_ical(mailoutbox[0].attachments[0][1]).walk("VEVENT")[0]
    assert event["status"] == "CANCELLED"
    assert meeting.joining_url not in mailoutbox[0].attachments[0][1]


def test_duplicate_for_next_quarter_keeps_london_time_and_weekday_as_a_draft(staff_client):
    # 18:00 on Thursday 22 January 2026 (GMT); 13 weeks on is Thursday 23 April (BST).
    starts = datetime(2026, 1, 22, 18, tzinfo=LONDON)
    meeting = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), minutes="Old minutes")
    RegistrationFactory(meeting=meeting)
    ActionFactory(meeting=meeting)

    _action(staff_client, "duplicate_for_next_quarter", [meeting])

    copy = Meeting.objects.exclude(pk=meeting.pk).get()
    local = timezone.localtime(copy.starts_at, LONDON)
    assert (local.date().isoformat(), local.hour, local.strftime("%A")) == ("2026-04-23", 18, "Thursday")
    assert copy.ends_at - copy.starts_at == timedelta(hours=2)
    assert copy.status == Meeting.Status.DRAFT
    assert (copy.minutes, copy.joining_url, copy.sequence) == ("", "", 0)
    assert copy.quarter_label == "Q2 2026 (April to June)"
    assert not copy.registrations.exists() and not copy.actions.exists()
    assert copy.slug != meeting.slug


def test_publish_minutes_emails_registrants_with_the_actions_once(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    starts = timezone.now() - timedelta(days=3)
    meeting = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), minutes="Minutes text")
    attendees = [RegistrationFactory(meeting=meeting) for _ in range(2)]
    RegistrationFactory(meeting=meeting, status=Registration.Status.CANCELLED)
    ActionFactory(meeting=meeting, description="Draft the housing paper", owner_text="London Councils")

    with django_capture_on_commit_callbacks(execute=True):
        _action(staff_client, "publish_minutes", [meeting])
        _action(staff_client, "publish_minutes", [meeting])

    meeting.refresh_from_db()
    assert meeting.minutes_published_at is not None
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.user.email for r in attendees)
    assert "Draft the housing paper (owner: London Councils)" in mailoutbox[0].body


def test_publish_minutes_refused_before_the_meeting_or_without_minutes(staff_client):
    upcoming = MeetingFactory(minutes="Too early")
    starts = timezone.now() - timedelta(days=3)
    unwritten = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))

    response = _action(staff_client, "publish_minutes", [upcoming, unwritten])

    html = response.content.decode()
    assert "only after a meeting has taken place" in html and "write the minutes" in html
    assert not Meeting.objects.filter(minutes_published_at__isnull=False).exists()


def test_export_register_csv_lists_registrations_and_defuses_formulas(staff_client):
    meeting = MeetingFactory(title="=HYPERLINK(1)")
    member = MemberFactory(user__first_name="Ada", user__last_name="Lovelace")
    RegistrationFactory(meeting=meeting, user=member.user, mode="in_person", access_needs="Step-free access")
    RegistrationFactory(meeting=meeting)

    response = _action(staff_client, "export_register", [meeting])

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Meeting", "Meeting date", "Name"]
    assert len(rows) == 3
    ada = next(r for r in rows if r[2] == "Ada Lovelace")
    assert ada[0] == "'=HYPERLINK(1)"
    assert ada[4:10] == [
        "Councillor",
        member.council.name,
        "In person",
        "Registered",
        "Not recorded",
        "Step-free access",
    ]


def test_mark_attended_action_only_touches_registered_places(staff_client):
    meeting = MeetingFactory()
    present = RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)

    staff_client.post(
        "/admin/meetings/registration/",
        {"action": "mark_attended", "_selected_action": [present.pk, waiting.pk]},
    )

    present.refresh_from_db(), waiting.refresh_from_db()
    assert present.attendance == Registration.Attendance.ATTENDED
    assert waiting.attendance == Registration.Attendance.UNKNOWN


def test_changelist_shows_counts_by_mode_and_admin_index_shows_attention_counts(staff_client):
    meeting = MeetingFactory(in_person_capacity=1)
    RegistrationFactory(meeting=meeting, mode="in_person")
    RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)
    RegistrationFactory.create_batch(2, meeting=meeting, mode="online")
    starts = timezone.now() - timedelta(days=3)
    MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))
    ActionFactory(due_on=timezone.localdate() - timedelta(days=1))

    changelist = staff_client.get(CHANGELIST)
    row = next(m for m in changelist.context["cl"].result_list if m.pk == meeting.pk)
    assert (row.in_person_count, row.online_count, row.waitlist_count) == (1, 2, 1)

    attention = {item["label"]: item for item in staff_client.get("/admin/").context["attention"]}
    assert attention["Meetings waiting for minutes"]["count"] == 1
    assert attention["Meeting actions overdue"]["count"] == 1
    # Each count links to a list showing exactly those rows.
    waiting = staff_client.get(attention["Meetings waiting for minutes"]["url"]).context["cl"].result_list
    overdue = staff_client.get(attention["Meeting actions overdue"]["url"]).context["cl"].result_list
    assert (len(waiting), len(overdue)) == (1, 1)


def test_change_page_with_inlines_renders(staff_client):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)
    ActionFactory(meeting=meeting)

    assert staff_client.get(f"{CHANGELIST}{meeting.pk}/change/").status_code == 200


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


def _paper_row(meeting, **fields):
    row = {"title": "Agenda pack", "kind": "agenda_pack", "visibility": "members", "position": 0, "link": ""}
    return {**row, "meeting": meeting.pk, **fields}


def _papers_post(staff_client, meeting, rows, initial=0):
    data = _change_form_data(meeting)
    data.update(_inline("papers", rows))
    data["papers-INITIAL_FORMS"] = initial
    return staff_client.post(f"{CHANGELIST}{meeting.pk}/change/", data)


def _paper_upload(staff_client, meeting, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return _papers_post(staff_client, meeting, [_paper_row(meeting, upload=SimpleUploadedFile(name, content))])


def _stored_paper(meeting, name="Agenda pack.pdf"):
    from network_portal import uploads

    stored = uploads.store_bytes(PDF, display_name=name, folder="meeting-papers")
    return Paper.objects.create(meeting=meeting, title="Agenda pack", file=stored.name, file_name=name, size=len(PDF))


def test_paper_upload_is_checked_and_stored_under_a_generated_name(staff_client, private_storage):
    meeting = MeetingFactory()

    response = _paper_upload(staff_client, meeting, "Agenda pack.pdf", PDF)

    assert response.status_code == 302
    paper = Paper.objects.get()
    assert paper.file_name == "Agenda pack.pdf"
    assert paper.file.name.startswith("meeting-papers/") and "Agenda" not in paper.file.name
    assert (private_storage / paper.file.name).read_bytes() == PDF


def test_paper_upload_of_html_disguised_as_pdf_is_refused(staff_client, private_storage):
    meeting = MeetingFactory()

    response = _paper_upload(staff_client, meeting, "agenda.pdf", b"<html><script>alert(1)</script></html>")

    assert response.status_code == 200
    assert "does not look like a real PDF" in response.content.decode()
    assert not Paper.objects.exists()
    assert not any(private_storage.rglob("*.pdf"))


def test_action_tracker_lists_actions_across_meetings(staff_client):
    ActionFactory.create_batch(3)
    response = staff_client.get("/admin/meetings/action/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == Action.objects.count()


def test_replacing_a_paper_file_stores_the_new_one_and_deletes_the_old_after_commit(
    staff_client, private_storage, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    meeting = MeetingFactory()
    paper = _stored_paper(meeting)
    old = private_storage / paper.file.name
    replacement = SimpleUploadedFile("Agenda pack v2.pdf", PDF.replace(b"Catalog", b"Catalog2"))

    with django_capture_on_commit_callbacks(execute=True):
        response = _papers_post(staff_client, meeting, [_paper_row(meeting, id=paper.pk, upload=replacement)], 1)

    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.file_name == "Agenda pack v2.pdf"
    assert (private_storage / paper.file.name).read_bytes() == replacement.open().read()
    assert not old.exists()


def test_deleting_a_paper_or_its_meeting_in_admin_deletes_the_files(
    staff_client, private_storage, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    removed, kept = _stored_paper(meeting), _stored_paper(meeting, "Slides.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        rows = [_paper_row(meeting, id=removed.pk, DELETE="on"), _paper_row(meeting, id=kept.pk, title="Slides")]
        assert _papers_post(staff_client, meeting, rows, 2).status_code == 302

    assert not Paper.objects.filter(pk=removed.pk).exists()
    assert not (private_storage / removed.file.name).exists()
    assert (private_storage / kept.file.name).read_bytes() == PDF

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{CHANGELIST}{meeting.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert not any(private_storage.rglob("*.pdf"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"link": "https://example.org/pack.pdf", "upload": "file"}, "not both"),
        ({}, "A paper needs a file or an external link."),
    ],
)
def test_paper_form_holds_the_file_or_link_rule(staff_client, private_storage, fields, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    meeting = MeetingFactory()
    if fields.get("upload"):
        fields = {**fields, "upload": SimpleUploadedFile("agenda.pdf", PDF)}

    response = _papers_post(staff_client, meeting, [_paper_row(meeting, **fields)])

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Paper.objects.exists()
    assert not any(private_storage.rglob("*.pdf"))


def test_a_paper_with_a_file_cannot_switch_to_a_link_and_keeps_its_file(staff_client, private_storage):
    meeting = MeetingFactory()
    paper = _stored_paper(meeting)

    rows = [_paper_row(meeting, id=paper.pk, link="https://example.org/pack.pdf")]
    response = _papers_post(staff_client, meeting, rows, 1)

    assert response.status_code == 200
    assert "already has a file" in response.content.decode()
    paper.refresh_from_db()
    assert paper.link == "" and (private_storage / paper.file.name).read_bytes() == PDF
