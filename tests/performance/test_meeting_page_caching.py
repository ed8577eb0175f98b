"""The meeting page keeps the meeting with its head, the member's own registration and
the body of the page (per audience) in the cache, on versions that the writing services
bump: a change made through any of them shows on the very next request, and nothing
cached for one visitor shows to another."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from meetings import services as meeting_services
from meetings.models import Action, Meeting, Paper, Registration
from members import services as member_services
from members.models import Council, Member, User
from tests.factories import CouncilFactory, MemberFactory, UserFactory, approved_member
from tests.meetings.factories import ActionFactory, MeetingFactory, PaperLinkFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_public_page_copy(settings):
    # The anonymous page copy has its own 60-second policy; these tests are about the parts kept.
    settings.PUBLIC_PAGE_MAX_AGE = 0


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def meeting():
    return MeetingFactory(title="Cached quarterly meeting", in_person_capacity=10)


@pytest.fixture
def member():
    return approved_member()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def member_client(member):
    return _client(member.user)


def _page(client, meeting) -> str:
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.text


def test_the_meeting_page_is_served_from_its_cached_copy_until_a_service_changes_it(member_client, meeting, commit):
    assert "Cached quarterly meeting" in _page(member_client, meeting)
    # A write that bypasses the services bumps no version: the kept copy is served.
    Meeting.objects.filter(pk=meeting.pk).update(title="Renamed behind the services' back")
    assert "Cached quarterly meeting" in _page(member_client, meeting)

    meeting.title = "Renamed quarterly meeting"
    with commit():
        meeting_services.meeting_save(meeting=meeting)

    assert "<h1>Renamed quarterly meeting</h1>" in _page(member_client, meeting)


def test_another_members_registration_changes_the_seats_left_on_the_next_request(member_client, meeting, commit):
    assert "10 of 10 in-person places left." in _page(member_client, meeting)
    with commit():
        meeting_services.registration_create(
            meeting_id=meeting.pk, user=approved_member().user, mode=Registration.Mode.IN_PERSON
        )

    assert "9 of 10 in-person places left." in _page(member_client, meeting)


def test_registering_and_cancelling_change_the_members_own_place_on_the_next_request(
    member_client, member, meeting, commit
):
    assert "Register for this meeting" in _page(member_client, meeting)
    with commit():
        registration = meeting_services.registration_create(
            meeting_id=meeting.pk, user=member.user, mode=Registration.Mode.ONLINE
        )
    page = _page(member_client, meeting)
    assert "You are registered to attend online." in page
    assert meeting.joining_url in page

    with commit():
        meeting_services.registration_cancel(registration_id=registration.pk)
    page = _page(member_client, meeting)
    assert "Register for this meeting" in page
    assert meeting.joining_url not in page


def test_one_members_place_never_shows_on_another_members_page(member_client, member, meeting, commit):
    with commit():
        meeting_services.registration_create(meeting_id=meeting.pk, user=member.user, mode=Registration.Mode.ONLINE)
    assert "You are registered" in _page(member_client, meeting)

    other = _page(_client(approved_member().user), meeting)
    assert "You are registered" not in other
    assert meeting.joining_url not in other
    assert "Register for this meeting" in other


def test_a_member_on_the_waiting_list_sees_their_place_and_then_their_seat(member_client, member, commit):
    meeting = MeetingFactory(in_person_capacity=1)
    seated = RegistrationFactory(meeting=meeting, mode=Registration.Mode.IN_PERSON)
    with commit():
        meeting_services.registration_create(
            meeting_id=meeting.pk, user=member.user, mode=Registration.Mode.IN_PERSON, waitlist_ok=True
        )
    assert "You are number 1 on the in-person waiting list." in _page(member_client, meeting)

    with commit():
        meeting_services.registration_cancel(registration_id=seated.pk)

    assert "You are registered to attend in person." in _page(member_client, meeting)


def test_a_walk_in_changes_the_seats_left_on_the_next_request(member_client, meeting, commit):
    assert "10 of 10 in-person places left." in _page(member_client, meeting)
    with commit():
        meeting_services.registration_add_walk_in(
            meeting_id=meeting.pk, user=approved_member().user, now=meeting.starts_at - timedelta(hours=1)
        )

    assert "9 of 10 in-person places left." in _page(member_client, meeting)


def test_papers_saved_and_deleted_through_the_services_show_on_the_next_request(member_client, meeting, commit):
    assert "No papers yet." in _page(member_client, meeting)
    paper = Paper(meeting=meeting, title="Quarterly agenda pack", link="https://example.org/pack")
    with commit():
        meeting_services.paper_save(paper=paper)
    assert "Quarterly agenda pack" in _page(member_client, meeting)

    with commit():
        meeting_services.paper_delete(paper=paper)
    assert "Quarterly agenda pack" not in _page(member_client, meeting)


def test_a_members_only_paper_cached_for_members_never_shows_to_other_visitors(member_client, meeting):
    PaperLinkFactory(meeting=meeting, title="Briefing for members", visibility=Paper.Visibility.MEMBERS)
    assert "Briefing for members" in _page(member_client, meeting)

    for visitor in [_client(), _client(MemberFactory(status=Member.Status.PENDING).user)]:
        page = _page(visitor, meeting)
        assert "Briefing for members" not in page
        assert "Some papers are for approved members only." in page


def test_actions_saved_and_deleted_through_the_services_show_on_the_next_request(member_client, meeting, commit):
    assert "Actions agreed at this meeting" not in _page(member_client, meeting)
    with commit():
        action = meeting_services.action_save(action=Action(meeting=meeting, description="Write to the minister"))
    assert "Write to the minister" in _page(member_client, meeting)
    assert "Write to the minister" not in _page(_client(), meeting)

    with commit():
        meeting_services.actions_delete(actions=Action.objects.filter(pk=action.pk))
    assert "Write to the minister" not in _page(member_client, meeting)


def test_an_action_closed_in_the_admin_tracker_leaves_the_next_meetings_page(member_client, meeting):
    earlier = MeetingFactory(
        starts_at=meeting.starts_at - timedelta(days=91), ends_at=meeting.starts_at - timedelta(days=91, hours=-2)
    )
    action = ActionFactory(meeting=earlier, description="Survey the boroughs")
    assert "Survey the boroughs" in _page(member_client, meeting)

    staff = _client(UserFactory(is_staff=True, is_superuser=True))
    created = timezone.localtime(action.created_at)
    response = staff.post(
        f"/admin/meetings/action/{action.pk}/change/",
        {
            "meeting": earlier.pk,
            "description": action.description,
            "owner_text": action.owner_text,
            "status": Action.Status.DONE,
            "created_at_0": f"{created:%d/%m/%Y}",
            "created_at_1": f"{created:%H:%M:%S}",
        },
    )
    assert response.status_code == 302

    assert "Survey the boroughs" not in _page(member_client, meeting)


def test_an_action_owner_renamed_through_their_profile_shows_on_the_next_request(member_client, meeting, commit):
    owner = approved_member()
    ActionFactory(meeting=meeting, owner=owner.user, owner_text="")
    assert escape(str(owner.user)) in _page(member_client, meeting)  # a name may hold an apostrophe

    with commit():
        member_services.member_profile_update(member=owner, first_name="Renamed", last_name="Owner", ward="Central")

    assert "Renamed Owner" in _page(member_client, meeting)


def test_an_unnamed_owners_new_primary_email_shows_on_the_next_request(member_client, meeting, commit):
    owner = approved_member(user__first_name="", user__last_name="")
    ActionFactory(meeting=meeting, owner=owner.user, owner_text="")
    assert owner.user.email in _page(member_client, meeting)

    with commit():
        owner.user.email = "new-address@camden.gov.uk"
        owner.user.save(update_fields=["email"])  # as allauth's "make primary" does

    assert "new-address@camden.gov.uk" in _page(member_client, meeting)


def test_an_action_owner_erased_leaves_the_page_on_the_next_request(member_client, meeting, commit):
    owner = approved_member()
    ActionFactory(meeting=meeting, owner=owner.user, owner_text="")
    name = escape(str(owner.user))  # as the page writes it: a name may hold an apostrophe
    assert name in _page(member_client, meeting)

    with commit():
        member_services.member_erase(user=owner.user)

    assert name not in _page(member_client, meeting)


def test_an_actions_council_renamed_through_its_service_shows_on_the_next_request(
    member_client, member, meeting, commit
):
    council = member.council
    ActionFactory(meeting=meeting, council=council)
    assert f"({council.name})" in _page(member_client, meeting)

    council.name = "Renamed Borough"
    with commit():
        member_services.council_save(council=council)

    assert "(Renamed Borough)" in _page(member_client, meeting)


def test_a_login_deleted_in_admin_gives_back_its_seat_on_the_next_request(member_client, meeting, commit):
    leaving = RegistrationFactory(meeting=meeting, mode=Registration.Mode.IN_PERSON).user
    assert "9 of 10 in-person places left." in _page(member_client, meeting)

    with commit():
        member_services.users_delete(users=User.objects.filter(pk=leaving.pk))

    assert "10 of 10 in-person places left." in _page(member_client, meeting)


def test_the_minutes_show_and_carried_actions_go_once_the_meeting_ends_without_any_write(member_client):
    # Under way now, so the member's session is still live when it ends.
    now = timezone.now()
    meeting = MeetingFactory(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(minutes=30), minutes="Minutes of the meeting"
    )
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=now)
    earlier = MeetingFactory(starts_at=now - timedelta(days=91), ends_at=now - timedelta(days=91, hours=-2))
    ActionFactory(meeting=earlier, description="Survey the boroughs")
    before = _page(member_client, meeting)
    assert "Survey the boroughs" in before
    assert "Minutes of the meeting" not in before

    with time_machine.travel(meeting.ends_at + timedelta(seconds=1)):
        after = _page(member_client, meeting)

    assert "Survey the boroughs" not in after
    assert "Minutes of the meeting" in after


def test_a_draft_kept_for_a_staff_preview_is_still_not_found_by_members(member_client):
    draft = MeetingFactory(status=Meeting.Status.DRAFT)
    staff = _client(UserFactory(is_staff=True, is_superuser=True))
    assert "Draft: only staff can see this page" in _page(staff, draft)

    assert member_client.get(draft.get_absolute_url()).status_code == 404
    assert _client().get(draft.get_absolute_url()).status_code == 404


def test_an_actions_council_deleted_in_admin_leaves_the_page_on_the_next_request(member_client, meeting):
    council = CouncilFactory(name="Dissolved Borough")
    ActionFactory(meeting=meeting, council=council)
    assert "(Dissolved Borough)" in _page(member_client, meeting)

    staff = _client(UserFactory(is_staff=True, is_superuser=True))
    response = staff.post(
        "/admin/members/council/", {"action": "delete_selected", "_selected_action": [council.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Council.objects.filter(pk=council.pk).exists()

    assert "(Dissolved Borough)" not in _page(member_client, meeting)


def test_the_page_reads_its_kept_parts_in_two_round_trips(member_client, meeting, cache_reads):
    """The meeting with the member's place first (the view needs them to answer 404 or 200),
    then the body, once the page is rendered."""
    _page(member_client, meeting)  # keeps every part
    cache_reads.clear()

    page = _page(member_client, meeting)

    assert len(cache_reads) == 2
    assert "Cached quarterly meeting" in page and "Papers</h2>" in page and "<!--kept-section-" not in page
