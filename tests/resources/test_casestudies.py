import functools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.models import Member
from network_portal import uploads
from network_portal.models import OutboxEmail
from resources import services
from resources.models import CaseStudy, Resource, Topic, Visibility
from tests.concurrency import run_at_once
from tests.factories import MemberFactory, UserFactory

from . import files
from .factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("resources:casestudy-create")
CHANGELIST = reverse("admin:resources_casestudy_changelist")


def form_data(member, **extra):
    return {
        "title": "Mental health first aid for housing officers",
        "council": member.council.pk,
        "topics": [Topic.objects.get(slug="housing").pk],
        "what_we_did": "We trained 40 housing officers.",
        "outcome": "Earlier referrals to support.",
        "may_contact": "on",
        **extra,
    }


def test_approved_member_submits_a_case_study_with_an_attachment(client, private_storage):
    member = MemberFactory()
    client.force_login(member.user)
    attachment = SimpleUploadedFile("Our evaluation.pdf", files.pdf(), content_type="application/pdf")

    response = client.post(CREATE_URL, form_data(member, attachment=attachment))

    assert response.status_code == 302
    case_study = CaseStudy.objects.get()
    assert (case_study.status, case_study.submitter, case_study.council) == ("submitted", member.user, member.council)
    assert case_study.may_contact is True
    assert list(case_study.topics.values_list("slug", flat=True)) == ["housing"]
    assert case_study.file_name == "Our evaluation.pdf"
    assert case_study.file.read() == files.pdf()


def test_disguised_attachment_is_refused_and_nothing_is_stored(client, private_storage):
    member = MemberFactory()
    client.force_login(member.user)
    attachment = SimpleUploadedFile("evaluation.pdf", files.HTML, content_type="application/pdf")

    response = client.post(CREATE_URL, form_data(member, attachment=attachment))

    assert response.status_code == 200
    assert "does not look like a real PDF" in response.content.decode()
    assert not CaseStudy.objects.exists()
    assert not private_storage.exists() or not any(private_storage.rglob("*.*"))


@pytest.mark.parametrize("status", [Member.Status.PENDING, Member.Status.REJECTED])
def test_members_not_yet_approved_cannot_submit(client, status):
    member = MemberFactory(status=status)
    client.force_login(member.user)

    assert client.post(CREATE_URL, form_data(member)).status_code == 403
    assert not CaseStudy.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(CREATE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_publish_creates_a_members_only_case_study_credited_to_the_council(
    client, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    case_study = CaseStudyFactory()
    case_study.topics.set([Topic.objects.get(slug="housing")])
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "publish", "_selected_action": [case_study.pk]})

    case_study.refresh_from_db()
    resource = case_study.resource
    assert case_study.status == CaseStudy.Status.PUBLISHED and case_study.reviewed_by == admin_user
    assert (resource.kind, resource.council, resource.visibility) == (
        Resource.Kind.CASE_STUDY,
        case_study.council,
        Visibility.MEMBERS,
    )
    assert resource.status == Resource.Status.PUBLISHED
    assert list(resource.topics.values_list("slug", flat=True)) == ["housing"]
    assert case_study.what_we_did in resource.body and case_study.outcome in resource.body
    assert [m.to for m in mailoutbox] == [[case_study.submitter.email]]
    assert resource.get_absolute_url() in mailoutbox[0].body
    assert OutboxEmail.objects.get().dedupe_key == f"casestudy:{case_study.pk}:published"


def test_published_case_study_shows_the_authors_contact_only_to_members(client):
    case_study = CaseStudyFactory(may_contact=True)
    resource = services.casestudy_publish(case_study_id=case_study.pk, staff_user=UserFactory(is_staff=True))

    anonymous = client.get(resource.get_absolute_url()).content.decode()
    client.force_login(MemberFactory().user)
    member = client.get(resource.get_absolute_url()).content.decode()

    assert case_study.submitter.email not in anonymous
    assert case_study.submitter.email in member
    assert str(case_study.council) in member


def test_staff_return_with_a_note_emails_the_submitter(
    client, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    case_study = CaseStudyFactory()
    client.force_login(admin_user)

    confirm = client.post(CHANGELIST, {"action": "return_with_note", "_selected_action": [case_study.pk]})
    assert confirm.status_code == 200 and "Note to the submitter" in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            CHANGELIST,
            {
                "action": "return_with_note",
                "apply": "1",
                "note": "Please add the number of residents helped.",
                "_selected_action": [case_study.pk],
            },
        )

    case_study.refresh_from_db()
    assert case_study.status == CaseStudy.Status.RETURNED and case_study.resource is None
    assert [m.to for m in mailoutbox] == [[case_study.submitter.email]]
    assert "Please add the number of residents helped." in mailoutbox[0].body
    assert not Resource.objects.exists()


def test_return_without_a_note_changes_nothing(client, admin_user):
    case_study = CaseStudyFactory()
    client.force_login(admin_user)

    response = client.post(
        CHANGELIST,
        {"action": "return_with_note", "apply": "1", "note": "  ", "_selected_action": [case_study.pk]},
    )

    assert response.status_code == 200
    case_study.refresh_from_db()
    assert case_study.status == CaseStudy.Status.SUBMITTED
    assert not OutboxEmail.objects.exists()


def test_a_case_study_is_moderated_only_once():
    case_study = CaseStudyFactory()
    staff = UserFactory(is_staff=True)
    services.casestudy_publish(case_study_id=case_study.pk, staff_user=staff)

    with pytest.raises(services.ModerationError):
        services.casestudy_publish(case_study_id=case_study.pk, staff_user=staff)
    with pytest.raises(services.ModerationError):
        services.casestudy_return(case_study_id=case_study.pk, staff_user=staff, note="Too late")
    assert Resource.objects.count() == 1
    assert OutboxEmail.objects.count() == 1


def test_moderation_queue_count_is_registered_for_the_admin_index():
    from network_portal import admin_counts

    CaseStudyFactory.create_batch(2)
    CaseStudyFactory(status=CaseStudy.Status.RETURNED, review_note="No")

    # Only this app's entry: other apps' counts are tested by their own suites.
    (entry,) = [item for item in admin_counts.admin_counts if item.label == "Case studies to moderate"]
    assert entry.count() == 2
    assert f"{reverse(entry.urlname)}?{entry.query}" == f"{CHANGELIST}?status__exact=submitted"


def test_my_submissions_shows_status_and_the_return_note(client, rf):
    from django.template.loader import render_to_string

    member = MemberFactory()
    CaseStudyFactory(submitter=member.user, title="Waiting one")
    CaseStudyFactory(submitter=member.user, title="Returned one", status="returned", review_note="Add figures")
    CaseStudyFactory(title="Someone else's")
    request = rf.get("/account/")
    request.user = member.user

    section = render_to_string("resources/_account_section.html", {"user": member.user}, request=request)

    assert "My submissions" in section
    assert "Waiting one" in section and "Waiting for review" in section
    assert "Returned one" in section and "Add figures" in section
    assert "Someone else" not in section


def test_staff_and_the_submitter_can_fetch_the_attachment_but_nobody_else(client, private_storage):
    member = MemberFactory()
    stored = uploads.store_bytes(files.pdf(), display_name="evidence.pdf", folder="case-studies")
    case_study = CaseStudyFactory(submitter=member.user, file=stored.name, file_name=stored.display_name)
    url = reverse("resources:casestudy-attachment", args=[case_study.pk])

    assert client.get(url).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 403
    client.force_login(member.user)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url)["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db(transaction=True)
def test_two_staff_publishing_at_once_create_one_resource_and_one_email(london_councils):
    from members.models import Council

    case_study = CaseStudyFactory(council=Council.objects.first())
    staff = [UserFactory(is_staff=True), UserFactory(is_staff=True)]

    def publish(user):
        try:
            services.casestudy_publish(case_study_id=case_study.pk, staff_user=user)
        except services.ModerationError:
            return "refused"
        return "published"

    outcomes, errors = run_at_once([functools.partial(publish, user) for user in staff])

    assert errors == []
    assert sorted(outcomes) == ["published", "refused"]
    assert Resource.objects.filter(kind=Resource.Kind.CASE_STUDY).count() == 1
    assert OutboxEmail.objects.filter(kind="casestudy").count() == 1
