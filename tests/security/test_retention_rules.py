"""Every model holding personal data has a retention rule or a stated reason to
keep it, and each rule added for the storage-limitation review does its job
with its count recorded in the RetentionRun."""

import dataclasses
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.utils import timezone

from meetings.models import Feedback, Registration
from members import services
from members.models import ContactEnquiry, Member, User
from network_portal import privacy
from network_portal.models import AuditEvent, MfaInvitation, OutboxEmail, RetentionRun
from network_portal.retention import ANONYMISE, DELETE, REMIND, retention_rules, retention_run
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.security.mfa import totp_enrol

pytestmark = pytest.mark.django_db

STAFF_INBOXES = ["staff-a@example.org", "staff-b@example.org"]


def _ago(days: float, *, now=None):
    return (now or timezone.now()) - timedelta(days=days)


def _recorded(run: RetentionRun) -> dict:
    """The counts as stored, not just as returned."""
    return RetentionRun.objects.get(pk=run.pk).counts


# --- The guard -------------------------------------------------------------------


def test_every_model_with_personal_fields_has_a_rule_or_a_reason_to_keep_it():
    assert privacy.without_retention() == []


def test_guard_reports_a_model_that_loses_its_reason_to_keep(monkeypatch):
    spec = privacy.personal_data.get("resources.CaseStudy")
    monkeypatch.setitem(privacy.personal_data.entries, spec.model, dataclasses.replace(spec, kept_while_account=""))
    assert privacy.without_retention() == ["resources.CaseStudy"]


def test_guard_reports_a_model_whose_only_rule_is_removed(monkeypatch):
    monkeypatch.delitem(retention_rules.entries, "downloads_anonymised")
    assert privacy.without_retention() == ["resources.Download"]


def test_a_model_without_personal_fields_needs_neither():
    spec = privacy.personal_data.get("members.ConsentRecord")
    assert spec.personal == () and not spec.kept_while_account
    assert "members.ConsentRecord" not in privacy.without_retention()


def test_every_rule_names_a_real_model_age_field_and_period_setting(settings):
    for rule in retention_rules:
        model = apps.get_model(rule.model)
        model.objects.filter(**{f"{rule.age_field}__lt": timezone.now()}).exists()  # a FieldError if it is wrong
        assert isinstance(getattr(settings, rule.setting), int) and getattr(settings, rule.setting) > 0, rule.key
        assert rule.action in {ANONYMISE, DELETE, REMIND}, rule.key


# --- Each new rule -----------------------------------------------------------------


def test_contact_enquiries_are_deleted_after_the_period(settings):
    days = settings.RETENTION_ENQUIRY_DAYS
    old = ContactEnquiry.objects.create(name="Old", email="old@example.org", role="officer", message="Hello")
    ContactEnquiry.objects.filter(pk=old.pk).update(created_at=_ago(days + 1))
    recent = ContactEnquiry.objects.create(name="New", email="new@example.org", role="officer", message="Hi")

    run = retention_run()

    assert list(ContactEnquiry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert _recorded(run)["contact_enquiries_deleted"] == 1


def test_access_needs_are_cleared_soon_after_the_meeting(settings):
    days = settings.RETENTION_ACCESS_NEEDS_DAYS
    ended = timezone.now() - timedelta(days=days + 1)
    past = MeetingFactory(starts_at=ended - timedelta(hours=2), ends_at=ended)
    soon = timezone.now() + timedelta(days=3)
    upcoming = MeetingFactory(starts_at=soon, ends_at=soon + timedelta(hours=2))
    cleared = RegistrationFactory(meeting=past, access_needs="Step-free access please")
    kept = RegistrationFactory(meeting=upcoming, access_needs="Hearing loop")

    run = retention_run()

    assert Registration.objects.get(pk=cleared.pk).access_needs == ""
    assert Registration.objects.get(pk=cleared.pk).status == cleared.status  # the registration itself stays
    assert Registration.objects.get(pk=kept.pk).access_needs == "Hearing loop"
    assert _recorded(run)["access_needs_cleared"] == 1


def test_meeting_feedback_comments_go_and_the_score_stays(settings):
    days = settings.RETENTION_MEETING_FEEDBACK_DAYS
    old = Feedback.objects.create(
        registration=RegistrationFactory(), usefulness=4, comments="Too long", topics_next_time="Housing"
    )
    Feedback.objects.filter(pk=old.pk).update(created_at=_ago(days + 1))
    recent = Feedback.objects.create(registration=RegistrationFactory(), usefulness=2, comments="Great")

    run = retention_run()

    old.refresh_from_db()
    assert (old.comments, old.topics_next_time, old.usefulness) == ("", "", 4)
    assert Feedback.objects.get(pk=recent.pk).comments == "Great"
    assert _recorded(run)["meeting_feedback_comments_cleared"] == 1


def test_audit_events_are_deleted_after_the_period(settings):
    days = settings.RETENTION_AUDIT_DAYS
    staff = UserFactory(is_staff=True)

    def event(age):
        return AuditEvent.objects.create(
            actor=staff, actor_email=staff.email, action=AuditEvent.Action.MEMBER_VIEW, path="/", created_at=_ago(age)
        )

    event(days + 1)
    recent = event(days - 1)

    run = retention_run()

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert _recorded(run)["audit_events_deleted"] == 1


def test_authenticator_invitations_are_deleted_a_period_after_they_expire(settings):
    days = settings.RETENTION_INVITATION_DAYS
    staff = UserFactory(is_staff=True)

    def invitation(expired_days_ago):
        expires = _ago(expired_days_ago)
        return MfaInvitation.objects.create(
            user=staff,
            token_hash=f"{expired_days_ago:064d}",
            created_at=expires - timedelta(hours=72),
            expires_at=expires,
        )

    invitation(days + 1)
    recent = invitation(days - 1)

    run = retention_run()

    assert list(MfaInvitation.objects.values_list("pk", flat=True)) == [recent.pk]
    assert _recorded(run)["mfa_invitations_deleted"] == 1


def test_former_members_are_erased_after_the_period_once(settings, london_councils):
    days = settings.RETENTION_FORMER_MEMBER_DAYS
    gone = MemberFactory(status=Member.Status.FORMER, status_changed_at=_ago(days + 1), ward="Riverside")
    recent = MemberFactory(status=Member.Status.FORMER, status_changed_at=_ago(days - 1))
    serving = MemberFactory(status=Member.Status.APPROVED, status_changed_at=_ago(days * 3))

    run = retention_run()

    gone.refresh_from_db()
    gone.user.refresh_from_db()
    assert gone.user.email.endswith("@erased.invalid") and not gone.user.is_active
    assert gone.ward == ""
    for untouched in (recent, serving):
        user = User.objects.get(pk=untouched.user_id)
        assert user.email == untouched.user.email and user.is_active
    assert _recorded(run)["former_members_erased"] == 1
    assert retention_run().counts["former_members_erased"] == 0  # an erased account is not erased again


def test_unreviewed_applicants_are_reminded_to_staff_then_deleted_and_told(settings, london_councils):
    settings.STAFF_NOTIFY_EMAILS = STAFF_INBOXES
    days, notice = settings.RETENTION_UNREVIEWED_DAYS, settings.RETENTION_UNREVIEWED_NOTICE_DAYS
    now = timezone.now()
    waiting = MemberFactory(status=Member.Status.PENDING, created_at=_ago(days - notice + 1, now=now))
    newer = MemberFactory(status=Member.Status.PENDING, created_at=_ago(1, now=now))
    address = waiting.user.email

    first = retention_run(now=now)

    reminders = OutboxEmail.objects.filter(kind="staff-member-unreviewed")
    assert sorted(reminders.values_list("to_email", flat=True)) == STAFF_INBOXES
    assert all(address in row.body_text for row in reminders)
    assert _recorded(first)["unreviewed_applications_reminded"] == len(STAFF_INBOXES)
    assert _recorded(first)["unreviewed_applications_deleted"] == 0
    assert Member.objects.filter(pk=waiting.pk).exists()

    later = now + timedelta(days=notice, hours=1)  # the next daily run after the notice period
    second = retention_run(now=later)

    assert not User.objects.filter(email=address).exists()
    told = OutboxEmail.objects.get(kind="member-application-closed")
    assert told.to_email == address
    assert "deleted your application" in told.body_text
    assert _recorded(second)["unreviewed_applications_deleted"] == 1
    assert _recorded(second)["unreviewed_applications_reminded"] == 0
    assert OutboxEmail.objects.filter(kind="staff-member-unreviewed").count() == len(STAFF_INBOXES)
    assert Member.objects.filter(pk=newer.pk).exists()


def test_an_unreviewed_applicant_is_never_deleted_before_staff_were_reminded(settings, london_councils):
    settings.STAFF_NOTIFY_EMAILS = STAFF_INBOXES
    stale = MemberFactory(status=Member.Status.PENDING, created_at=_ago(settings.RETENTION_UNREVIEWED_DAYS * 3))

    run = retention_run()

    assert Member.objects.filter(pk=stale.pk).exists()
    assert _recorded(run)["unreviewed_applications_reminded"] == len(STAFF_INBOXES)
    assert _recorded(run)["unreviewed_applications_deleted"] == 0
    assert not OutboxEmail.objects.filter(kind="member-application-closed").exists()
    # Staff are reminded once per application and inbox, however often the job runs.
    assert retention_run().counts["unreviewed_applications_reminded"] == 0


def test_an_application_approved_after_the_reminder_is_kept(settings, london_councils):
    settings.STAFF_NOTIFY_EMAILS = STAFF_INBOXES
    days, notice = settings.RETENTION_UNREVIEWED_DAYS, settings.RETENTION_UNREVIEWED_NOTICE_DAYS
    now = timezone.now()
    member = MemberFactory(status=Member.Status.PENDING, created_at=_ago(days - notice + 1, now=now))
    retention_run(now=now)
    services.member_approve(member=member)

    run = retention_run(now=now + timedelta(days=notice, hours=1))

    assert Member.objects.get(pk=member.pk).status == Member.Status.APPROVED
    assert run.counts["unreviewed_applications_deleted"] == 0


# --- Erasure and authenticators ------------------------------------------------------


def test_erasure_deletes_the_members_authenticators(london_councils):
    member = MemberFactory()
    totp_enrol(member.user)
    Authenticator.objects.create(user=member.user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "abc"})
    other = MemberFactory()
    totp_enrol(other.user)

    services.member_erase(user=member.user)

    assert not Authenticator.objects.filter(user=member.user).exists()
    assert Authenticator.objects.filter(user=other.user).count() == 1


def test_the_export_never_contains_the_authenticator_secret(london_councils):
    member = MemberFactory()
    secret = totp_enrol(member.user)

    exported = services.member_data_export(user=member.user)

    assert "mfa.Authenticator" not in exported["data"]
    assert secret not in str(exported)
