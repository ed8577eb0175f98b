"""No credential links in staff view: outbox rows that carry a reset,
verification or signed link are never shown to staff (superusers included),
their bodies are removed once sent or finally failed, and every admin look at
an outbox row is audited."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from members.models import Council, Member
from members.services import reconfirmation_start
from network_portal import invitations
from network_portal.models import AuditEvent, OutboxEmail
from network_portal.outbox import services
from network_portal.schedules import Recipient, registered
from resources.services import digest_send
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import RegistrationFactory
from tests.network_portal.smtp import SmtpSink
from tests.resources.factories import UpdateFactory
from tests.training.factories import BookingFactory, past_session

from .test_enumeration import _signup_data

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _schedule(kind: str):
    return next(schedule for schedule in registered() if getattr(schedule, "kind", "") == kind)


def _password_reset():
    member = MemberFactory()
    Client().post(reverse("account_reset_password"), {"email": member.user.email})
    return OutboxEmail.objects.get(kind="account:password_reset_key", to_email=member.user.email)


def _email_verification():
    camden = Council.objects.get(name="Camden")
    Client().post(reverse("account_signup"), _signup_data(camden, "new.person@camden.gov.uk"))
    return OutboxEmail.objects.get(to_email="new.person@camden.gov.uk", kind__startswith="account:email_confirmation")


def _meeting_survey():
    registration = RegistrationFactory()
    recipient = Recipient(
        user=registration.user, subject_id=registration.user_id, context={"registration": registration}
    )
    return _schedule("survey").send(
        event=registration.meeting, recipient=recipient, dedupe_key="test:survey", skip_reason=""
    )


def _training_link(kind: str):
    booking = BookingFactory(session=past_session())
    recipient = Recipient(user=booking.member.user, subject_id=booking.member_id, context={"booking": booking})
    return _schedule(kind).send(event=booking.session, recipient=recipient, dedupe_key=f"test:{kind}", skip_reason="")


def _reconfirmation():
    member = MemberFactory(role=Member.Role.COUNCILLOR)
    reconfirmation_start(councils=[member.council])
    return OutboxEmail.objects.get(kind="member-reconfirm")


def _digest_unsubscribe():
    MemberFactory(consent_digest=True)
    UpdateFactory(published_at=datetime(2026, 10, 15, 12, tzinfo=LONDON))
    digest_send(now=datetime(2026, 11, 1, 8, 30, tzinfo=LONDON))
    return OutboxEmail.objects.get(kind="digest")


def _staff_invitation():
    invitations.mfa_invitation_issue(user=UserFactory(is_staff=True))
    return OutboxEmail.objects.get(kind=invitations.MFA_INVITATION_EMAIL_KIND)


SENSITIVE_KINDS = {
    "password reset": _password_reset,
    "email verification": _email_verification,
    "meeting survey": _meeting_survey,
    "training feedback": lambda: _training_link("training-feedback"),
    "training follow-up": lambda: _training_link("training-followup"),
    "re-confirmation": _reconfirmation,
    "digest unsubscribe": _digest_unsubscribe,
    "staff invitation": _staff_invitation,
}


def _credentials(row: OutboxEmail) -> set[str]:
    """The secret parts of the links in the email: every path segment long
    enough to be a signed token or a key."""
    text = row.body_text + row.body_html + str(row.headers)
    segments = {part for url in re.findall(r"https?://[^\s\"'<>]+", text) for part in url.split("/")}
    return {segment for segment in segments if len(segment) >= 20}


def _admin_pages(row: OutboxEmail) -> list[str]:
    base = "admin:network_portal_outboxemail"
    changelist = reverse(f"{base}_changelist")
    return [
        changelist,
        f"{changelist}?q={row.to_email}",
        f"{changelist}?status__exact={row.status}",
        reverse(f"{base}_change", args=[row.pk]),
        reverse(f"{base}_history", args=[row.pk]),
        reverse(f"{base}_delete", args=[row.pk]),
    ]


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("kind", SENSITIVE_KINDS)
def test_no_admin_page_a_superuser_can_open_shows_the_links_of_a_sensitive_email(
    kind, superuser_client, london_councils
):
    row = SENSITIVE_KINDS[kind]()
    row.refresh_from_db()
    secrets = _credentials(row)
    assert row.sensitive and secrets  # the email really carries a link, still pending

    for url in _admin_pages(row):
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert row.to_email in html or "?" in url  # the page is about this row
        assert not [secret for secret in secrets if secret in html], url

    change = superuser_client.get(reverse("admin:network_portal_outboxemail_change", args=[row.pk])).content.decode()
    assert row.subject in change and row.get_status_display() in change


def test_an_ordinary_email_body_stays_visible_to_staff(superuser_client, london_councils):
    registration = RegistrationFactory()
    recipient = Recipient(
        user=registration.user, subject_id=registration.user_id, context={"registration": registration}
    )
    row = _schedule("reminder").send(event=registration.meeting, recipient=recipient, dedupe_key="t:r", skip_reason="")

    html = superuser_client.get(reverse("admin:network_portal_outboxemail_change", args=[row.pk])).content.decode()

    assert not row.sensitive
    assert registration.meeting.title in row.body_text and "Body text" in html


def test_sensitive_body_is_redacted_once_sent_and_the_member_got_the_whole_link(mailoutbox, london_councils):
    row = _password_reset()
    secrets = _credentials(row)

    assert services.outbox_send(email_id=row.pk).status == "sent"

    [message] = mailoutbox
    assert all(secret in message.body for secret in secrets)
    row.refresh_from_db()
    assert (row.status, row.body_text, row.body_html, row.headers) == (
        OutboxEmail.Status.SENT,
        OutboxEmail.REDACTED,
        "",
        {},
    )
    assert not _credentials(row)


def test_a_retried_sensitive_email_still_sends_its_full_body_then_is_redacted(settings, london_councils):
    row = _digest_unsubscribe()
    secrets = _credentials(row)
    with SmtpSink() as sink:
        sink.use_in(settings)
        sink.handler.data_replies = ["421 4.3.0 Try again later"]
        assert services.outbox_send(email_id=row.pk).status == "retry"
        row.refresh_from_db()
        assert row.status == OutboxEmail.Status.PENDING and _credentials(row) == secrets

        OutboxEmail.objects.filter(pk=row.pk).update(not_before=row.created_at)
        assert services.outbox_send(email_id=row.pk).status == "sent"
        [message] = sink.messages

    delivered = message.as_string()
    assert all(secret in delivered for secret in secrets)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.body_text) == (OutboxEmail.Status.SENT, 2, OutboxEmail.REDACTED)


def test_a_finally_failed_sensitive_email_is_redacted_and_cannot_be_retried(settings, london_councils):
    row = _password_reset()
    with SmtpSink() as sink:
        sink.use_in(settings)
        sink.handler.data_replies = ["550 5.1.1 No such mailbox"]
        assert services.outbox_send(email_id=row.pk).status == "failed"

    row.refresh_from_db()
    assert (row.status, row.body_text) == (OutboxEmail.Status.FAILED, OutboxEmail.REDACTED)
    assert services.outbox_retry(email_ids=[row.pk]) == 0  # it would send the redaction marker


def test_every_admin_view_of_an_outbox_row_is_audited(superuser_client, london_councils):
    row = _password_reset()

    superuser_client.get(reverse("admin:network_portal_outboxemail_change", args=[row.pk]))
    superuser_client.get(reverse("admin:network_portal_outboxemail_history", args=[row.pk]))

    events = AuditEvent.objects.filter(action=AuditEvent.Action.OUTBOX_VIEW)
    assert events.count() == 2
    assert {event.subject_user_id for event in events} == {row.user_id}
    assert all(f"outbox email {row.pk}" == event.detail for event in events)
