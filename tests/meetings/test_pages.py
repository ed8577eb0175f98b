from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from meetings.models import Meeting, Paper, Registration
from members.models import Member
from network_portal import uploads
from tests.factories import MemberFactory, UserFactory

from .factories import ActionFactory, MeetingFactory, PaperLinkFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _past(**kwargs):
    starts = timezone.now() - timedelta(days=20)
    return MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


def test_list_shows_upcoming_and_past_meetings_by_quarter_and_hides_drafts(client):
    upcoming = MeetingFactory()
    past = _past(minutes="Done", minutes_published_at=timezone.now())
    draft = MeetingFactory(status=Meeting.Status.DRAFT, title="Secret draft")

    response = client.get("/meetings/")

    html = response.content.decode()
    assert response.status_code == 200
    assert upcoming.title in html and past.title in html
    assert draft.title not in html
    assert upcoming.quarter_label in html and past.quarter_label in html
    assert html.index(upcoming.title) < html.index("Past meetings") < html.index(past.title)


def test_quarter_label_follows_the_london_date():
    # 23:30 UTC on 31 March is 00:30 on 1 April in London: the second quarter.
    starts = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    meeting = MeetingFactory.build(starts_at=starts)
    assert meeting.quarter_label == "Q2 2026 (April to June)"


def test_detail_shows_agenda_chair_time_place_and_calendar_link(client):
    meeting = MeetingFactory(agenda="1. **Welcome**")

    html = client.get(meeting.get_absolute_url()).content.decode()

    assert "<strong>Welcome</strong>" in html
    assert meeting.chair in html
    assert "City Hall" in html
    assert f'href="/meetings/{meeting.slug}.ics"' in html
    assert timezone.localtime(meeting.starts_at).strftime("%H:%M") in html


def test_unknown_slug_and_drafts_give_404_but_staff_can_preview_drafts(client):
    draft = MeetingFactory(status=Meeting.Status.DRAFT)

    assert client.get("/meetings/no-such-meeting/").status_code == 404
    assert client.get("/meetings/no-such-meeting.ics").status_code == 404
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_markdown_with_script_renders_inert(client):
    meeting = MeetingFactory(summary="Hello <script>alert('x')</script>", agenda="[x](javascript:alert(1))")

    html = client.get(meeting.get_absolute_url()).content.decode()

    assert "<script>alert" not in html
    assert "javascript:alert" not in html


def test_joining_link_is_absent_from_every_response_to_non_registrants(client):
    meeting = MeetingFactory(in_person_capacity=1)
    RegistrationFactory(meeting=meeting, mode="in_person")  # fills the seat; registered, so not "others"
    waitlisted = RegistrationFactory(meeting=meeting, mode="in_person", status=Registration.Status.WAITLISTED)
    cancelled = RegistrationFactory(meeting=meeting, status=Registration.Status.CANCELLED)
    pending = MemberFactory(status=Member.Status.PENDING)
    non_registrant = MemberFactory()
    paths = [
        "/",
        "/meetings/",
        meeting.get_absolute_url(),
        f"/meetings/{meeting.slug}.ics",
        "/account/",
        f"/meetings/{meeting.slug}/register/",
    ]
    secrets_ = [meeting.joining_url, meeting.joining_notes]

    for user in [None, pending.user, non_registrant.user, waitlisted.user, cancelled.user]:
        client.logout()
        if user:
            client.force_login(user)
        for path in paths:
            response = client.get(path, follow=True)
            assert response.status_code in {200, 403}, (user, path)
            body = response.content.decode()
            assert not any(secret in body for secret in secrets_), (user, path)


def test_registered_member_sees_the_joining_link(client, member):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting, user=member.user)
    client.force_login(member.user)

    html = client.get(meeting.get_absolute_url()).content.decode()

    assert meeting.joining_url in html
    assert "Passcode 4815" in html


def test_register_page_registers_online_and_redirects_with_a_message(member_client, member):
    meeting = MeetingFactory()

    response = member_client.post(f"/meetings/{meeting.slug}/register/", {"mode": "online"}, follow=True)

    assert response.redirect_chain[-1][0] == meeting.get_absolute_url()
    assert "You are registered to attend online" in response.content.decode()
    assert Registration.objects.get(meeting=meeting, user=member.user).mode == "online"


def test_register_page_offers_waiting_list_or_online_when_seats_ran_out(member_client, member):
    meeting = MeetingFactory(in_person_capacity=1)
    page = member_client.get(f"/meetings/{meeting.slug}/register/").content.decode()
    assert 'value="in_person"' in page
    RegistrationFactory(meeting=meeting, mode="in_person")  # someone else takes the last seat meanwhile

    response = member_client.post(f"/meetings/{meeting.slug}/register/", {"mode": "in_person"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "All in-person places are taken" in html
    assert 'value="waitlist"' in html and 'value="online"' in html
    assert not Registration.objects.filter(user=member.user).exists()

    member_client.post(f"/meetings/{meeting.slug}/register/", {"mode": "waitlist"})
    assert Registration.objects.get(user=member.user).status == Registration.Status.WAITLISTED


def test_register_requires_login_and_approval(client):
    meeting = MeetingFactory()

    response = client.get(f"/meetings/{meeting.slug}/register/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    client.force_login(MemberFactory(status=Member.Status.PENDING).user)
    assert client.post(f"/meetings/{meeting.slug}/register/", {"mode": "online"}).status_code == 403
    assert not Registration.objects.exists()


def test_register_for_closed_meeting_explains_and_creates_nothing(member_client):
    meeting = MeetingFactory(registration_closes_at=timezone.now() - timedelta(minutes=1))

    response = member_client.post(f"/meetings/{meeting.slug}/register/", {"mode": "online"}, follow=True)

    assert "Registration for this meeting has closed" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_with_invalid_choice_shows_the_error_and_creates_nothing(member_client):
    meeting = MeetingFactory(format=Meeting.Format.ONLINE)

    response = member_client.post(f"/meetings/{meeting.slug}/register/", {"mode": "in_person"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Registration.objects.exists()


def test_cancel_by_post_cancels_my_registration(member_client, member):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting, user=member.user)

    assert member_client.get(f"/meetings/{meeting.slug}/cancel/").status_code == 405
    response = member_client.post(f"/meetings/{meeting.slug}/cancel/", follow=True)

    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert "Your registration is cancelled" in response.content.decode()


def test_cancel_without_a_registration_is_404(member_client):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)  # someone else's
    assert member_client.post(f"/meetings/{meeting.slug}/cancel/").status_code == 404


def test_past_meeting_shows_minutes_and_recording_to_members_only(client, member):
    meeting = _past(
        minutes="We agreed *three* things.",
        minutes_published_at=timezone.now(),
        recording_url="https://video.example.org/recording-1",
    )

    anonymous = client.get(meeting.get_absolute_url()).content.decode()
    client.force_login(member.user)
    as_member = client.get(meeting.get_absolute_url()).content.decode()

    assert "three" not in anonymous and "recording-1" not in anonymous
    assert "<em>three</em>" in as_member and "recording-1" in as_member


def test_open_actions_carry_forward_to_the_next_meeting(member_client):
    earlier = _past()
    open_action = ActionFactory(meeting=earlier, description="Write the housing paper")
    ActionFactory(meeting=earlier, description="Already finished", status="done")
    upcoming = MeetingFactory()

    html = member_client.get(upcoming.get_absolute_url()).content.decode()

    assert "Open actions from earlier meetings" in html
    assert open_action.description in html
    assert "Already finished" not in html


def test_papers_show_by_visibility(client, member):
    meeting = MeetingFactory()
    public = PaperLinkFactory(meeting=meeting, title="Public agenda pack")
    private = PaperLinkFactory(meeting=meeting, title="Members slides", visibility=Paper.Visibility.MEMBERS)

    anonymous = client.get(meeting.get_absolute_url()).content.decode()
    client.force_login(member.user)
    as_member = client.get(meeting.get_absolute_url()).content.decode()

    assert public.title in anonymous and private.title not in anonymous
    assert public.title in as_member and private.title in as_member


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


def _file_paper(meeting, visibility):
    stored = uploads.store_bytes(PDF, display_name="Agenda pack.pdf", folder="meeting-papers")
    return Paper.objects.create(
        meeting=meeting,
        title="Agenda pack",
        visibility=visibility,
        file=stored.name,
        file_name=stored.display_name,
        size=stored.size,
    )


def test_members_only_paper_file_is_served_only_to_approved_members(client, member, private_storage):
    paper = _file_paper(MeetingFactory(), Paper.Visibility.MEMBERS)
    url = paper.get_absolute_url()

    assert client.get(url).status_code == 302
    client.force_login(MemberFactory(status=Member.Status.PENDING).user)
    assert client.get(url).status_code == 403
    client.force_login(member.user)
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="Agenda pack.pdf"')


def test_public_paper_file_is_served_to_anyone_but_not_for_draft_meetings(client, private_storage):
    public = _file_paper(MeetingFactory(), Paper.Visibility.PUBLIC)
    in_draft = _file_paper(MeetingFactory(status=Meeting.Status.DRAFT), Paper.Visibility.PUBLIC)

    assert client.get(public.get_absolute_url()).status_code == 200
    assert client.get(in_draft.get_absolute_url()).status_code == 404
    assert client.get(f"/meetings/{public.meeting.slug}/papers/{public.pk + 999}/").status_code == 404


def test_home_page_shows_the_next_published_meeting(client):
    MeetingFactory(
        status=Meeting.Status.DRAFT,
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=2, hours=2),
        title="Draft soon",
    )
    later = MeetingFactory(
        starts_at=timezone.now() + timedelta(days=60), ends_at=timezone.now() + timedelta(days=60, hours=2)
    )
    nearer = MeetingFactory(title="The nearer one")

    html = client.get("/").content.decode()

    assert f'Next meeting: <a href="{nearer.get_absolute_url()}">The nearer one</a>' in html
    assert "Draft soon" not in html and later.title not in html


def test_my_meetings_in_my_account_lists_registrations_and_waiting_list_place(member_client, member):
    registered = RegistrationFactory(user=member.user)
    full = MeetingFactory(in_person_capacity=0)
    RegistrationFactory(meeting=full, user=member.user, mode="in_person", status=Registration.Status.WAITLISTED)

    html = member_client.get("/account/").content.decode()

    assert "My meetings" in html
    assert registered.meeting.title in html and "Registered to attend online" in html
    assert full.title in html and "Number 1 on the in-person waiting list" in html
    assert "Create my calendar address" in html


@pytest.mark.parametrize("volume", [5, 500])
def test_list_and_detail_pages_stay_within_ten_queries(client, django_assert_max_num_queries, volume):
    member = MemberFactory()
    now = timezone.now()
    meetings = Meeting.objects.bulk_create(
        Meeting(
            title=f"Meeting {i}",
            slug=f"meeting-{i}",
            starts_at=now + timedelta(days=i - volume // 2),
            ends_at=now + timedelta(days=i - volume // 2, hours=2),
            format=Meeting.Format.HYBRID,
            venue_name="City Hall",
            chair="Chair",
            status=Meeting.Status.PUBLISHED,
            in_person_capacity=20,
            joining_url="https://meet.example.net/x",
        )
        for i in range(volume)
    )
    Registration.objects.bulk_create(
        Registration(meeting=m, user=member.user, mode="online") for m in meetings[volume // 2 :]
    )
    target = meetings[volume // 2 + 1]
    earlier = meetings[0]
    for _ in range(3):
        ActionFactory(meeting=earlier)
        PaperLinkFactory(meeting=target)
    client.force_login(member.user)

    with django_assert_max_num_queries(10):
        assert client.get("/meetings/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/meetings/?page=2").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(target.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/meetings/{target.slug}.ics").status_code == 200
