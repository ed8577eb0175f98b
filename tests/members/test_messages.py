"""Messages from staff to members: audiences, consent, preview, test copies and
the background fan-out through the outbox."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members import services
from members.models import Appointment, Member, Message
from network_portal.models import AuditEvent, OutboxEmail
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.training.factories import BookingFactory, SessionFactory
from training.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def camden(london_councils):
    return london_councils.get(name="Camden")


def _message(*councils, **fields) -> Message:
    message = Message.objects.create(
        subject=fields.pop("subject", "An extra training date"),
        body=fields.pop("body", "We have added **another** date."),
        audience=fields.pop("audience", Message.CHOSEN if councils or fields.get("roles") else Message.EVERYONE),
        **fields,
    )
    message.councils.set(councils)
    return message


def _send_and_deliver(message, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(message_id=message.pk, sent_by=staff)
    message.refresh_from_db()


def _recipients(message) -> set[str]:
    rows = OutboxEmail.objects.filter(dedupe_key__startswith=f"message:{message.pk}:user:")
    return set(rows.values_list("to_email", flat=True))


def test_news_to_camden_councillors_reaches_exactly_those_who_agreed(
    camden, london_councils, staff, django_capture_on_commit_callbacks, mailoutbox
):
    agreed = [MemberFactory(council=camden, consent_digest=True) for _ in range(3)]
    opted_out = MemberFactory(council=camden, consent_digest=False)
    MemberFactory(council=camden, consent_digest=True, role=Member.Role.OFFICER)
    MemberFactory(council=camden, consent_digest=True, status=Member.Status.PENDING)
    MemberFactory(council=london_councils.get(name="Hackney"), consent_digest=True)
    left = MemberFactory(council=camden, consent_digest=True)
    get_user_model().objects.filter(pk=left.user_id).update(is_active=False)
    message = _message(camden, roles=[Member.Role.COUNCILLOR])

    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)

    assert _recipients(message) == {member.user.email for member in agreed}
    assert opted_out.user.email not in _recipients(message)
    assert message.status == Message.Status.SENT
    assert message.recipient_count == len(agreed)
    email = OutboxEmail.objects.get(dedupe_key=f"message:{message.pk}:user:{agreed[0].user_id}")
    assert email.kind == "message-news"
    assert email.lane == OutboxEmail.Lane.BULK
    # The unsubscribe link acts for the member: the row is redacted once sent,
    # so the headers and body are checked on the email as delivered.
    assert email.sensitive
    (delivered,) = [sent for sent in mailoutbox if sent.to == [agreed[0].user.email]]
    assert delivered.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/news/unsubscribe/" in delivered.extra_headers["List-Unsubscribe"]
    assert "<strong>another</strong>" in delivered.alternatives[0][0]


def test_a_second_send_of_the_same_message_adds_nothing(camden, staff, django_capture_on_commit_callbacks):
    MemberFactory(council=camden, consent_digest=True)
    message = _message(camden)
    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)
    before = OutboxEmail.objects.count()
    with pytest.raises(services.MessageRefused):
        services.message_send(message_id=message.pk, sent_by=staff)
    # A retried fan-out task, mid-send, writes nothing twice.
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)
    assert services.message_deliver(message_id=message.pk) == 0
    assert OutboxEmail.objects.count() == before


def test_a_message_with_no_recipients_cannot_be_sent(camden, staff):
    MemberFactory(council=camden, consent_digest=False)
    message = _message(camden)
    with pytest.raises(services.MessageRefused, match="No one is in this audience"):
        services.message_send(message_id=message.pk, sent_by=staff)
    message.refresh_from_db()
    assert message.status == Message.Status.DRAFT
    assert not OutboxEmail.objects.exists()


def test_the_preview_refuses_to_send_to_no_one(camden, staff_client):
    message = _message(camden)
    page = staff_client.get(reverse("admin:members_message_preview", args=[message.pk])).content.decode()
    assert "cannot be sent" in page
    staff_client.post(
        reverse("admin:members_message_preview", args=[message.pk]), {"action": "send", "expected_count": "0"}
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DRAFT
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MESSAGE_SEND).exists()


def test_essential_message_to_a_sessions_bookings_ignores_news_consent(staff, django_capture_on_commit_callbacks):
    session = SessionFactory()
    confirmed = BookingFactory(session=session, member__consent_digest=False)
    waiting = BookingFactory(session=session, status=Booking.Status.WAITLISTED)
    BookingFactory(session=session, status=Booking.Status.CANCELLED, cancelled_at=session.created_at)
    BookingFactory()  # another session
    message = _message(audience="training.session", audience_object_id=session.pk, kind=Message.Kind.ESSENTIAL)
    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)
    assert _recipients(message) == {confirmed.member.user.email, waiting.member.user.email}
    email = OutboxEmail.objects.filter(dedupe_key__startswith=f"message:{message.pk}:").first()
    assert email.kind == "message-essential"
    assert "List-Unsubscribe" not in email.headers


def test_message_to_a_meetings_registrations(staff, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    registered = MemberFactory()
    RegistrationFactory(meeting=meeting, user=registered.user)
    RegistrationFactory(meeting=MeetingFactory(), user=MemberFactory().user)
    message = _message(audience="meetings.meeting", audience_object_id=meeting.pk, kind=Message.Kind.ESSENTIAL)
    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)
    assert _recipients(message) == {registered.user.email}


def test_champions_audience(camden, staff, django_capture_on_commit_callbacks):
    champion = MemberFactory(council=camden, consent_digest=True)
    Appointment.objects.create(member=champion, council=camden, role=Appointment.Role.CHAMPION)
    MemberFactory(council=camden, consent_digest=True)
    message = _message(champions_only=True, audience=Message.CHOSEN)
    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)
    assert _recipients(message) == {champion.user.email}


def test_preview_shows_the_exact_count_and_sends_a_test_only_to_me(camden, staff, staff_client):
    for _ in range(2):
        MemberFactory(council=camden, consent_digest=True)
    message = _message(camden)
    url = reverse("admin:members_message_preview", args=[message.pk])
    assert "Recipients now: 2" in staff_client.get(url).content.decode()
    staff_client.post(url, {"action": "test"})
    test = OutboxEmail.objects.get()
    assert (test.to_email, test.kind) == (staff.email, "message-test")
    assert test.subject == f"[Test] {message.subject}"
    message.refresh_from_db()
    assert message.status == Message.Status.DRAFT


def test_sending_is_audited_with_the_audience_and_count(camden, staff, staff_client):
    for _ in range(2):
        MemberFactory(council=camden, consent_digest=True)
    message = _message(camden)
    staff_client.post(
        reverse("admin:members_message_preview", args=[message.pk]), {"action": "send", "expected_count": "2"}
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.MESSAGE_SEND)
    assert event.row_count == 2
    assert "Camden" in event.detail and event.actor == staff


def test_a_changed_audience_asks_again_before_sending(camden, staff_client):
    MemberFactory(council=camden, consent_digest=True)
    message = _message(camden)
    response = staff_client.post(
        reverse("admin:members_message_preview", args=[message.pk]), {"action": "send", "expected_count": "5"}
    )
    assert "The audience has changed" in response.content.decode()
    message.refresh_from_db()
    assert message.status == Message.Status.DRAFT


def test_two_thousand_recipients_are_queued_by_one_background_task_not_the_request(
    camden, staff, staff_client, django_capture_on_commit_callbacks
):
    User = get_user_model()
    users = User.objects.bulk_create(
        User(email=f"bulk{n}@camden.example", first_name="Bulk", last_name=str(n)) for n in range(2000)
    )
    Member.objects.bulk_create(
        Member(user=user, role=Member.Role.COUNCILLOR, council=camden, status=Member.Status.APPROVED,
               consent_digest=True)
        for user in users
    )  # fmt: skip
    message = _message(camden)
    url = reverse("admin:members_message_preview", args=[message.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(url, {"action": "send", "expected_count": "2000"})
    assert response.status_code == 302
    assert not OutboxEmail.objects.exists()
    assert len(callbacks) == 1  # the one fan-out task

    callbacks[0]()  # the worker runs it (eager here)
    assert OutboxEmail.objects.filter(dedupe_key__startswith=f"message:{message.pk}:user:").count() == 2000
    message.refresh_from_db()
    assert (message.status, message.recipient_count) == (Message.Status.SENT, 2000)


def test_one_click_unsubscribe_stops_news(client, camden, staff, django_capture_on_commit_callbacks):
    member = MemberFactory(council=camden, consent_digest=True)
    url = services.news_unsubscribe_url(member=member).removeprefix("http://testserver")
    assert client.post(url).status_code == 200
    member.refresh_from_db()
    assert not member.consent_digest
    message = _message(camden)
    with pytest.raises(services.MessageRefused):
        services.message_send(message_id=message.pk, sent_by=staff)


def test_admin_form_refuses_essential_news_to_everyone(staff_client, camden):
    response = staff_client.post(
        reverse("admin:members_message_add"),
        {"subject": "Hi", "body": "Text", "kind": "essential", "audience_choice": "everyone"},
    )
    assert "Essential messages are only about something people booked" in response.content.decode()
    assert not Message.objects.exists()


def test_admin_form_saves_a_session_audience_and_opens_the_preview(staff_client):
    session = SessionFactory()
    response = staff_client.post(
        reverse("admin:members_message_add"),
        {"subject": "Room change", "body": "Room 2.", "kind": "essential",
         "audience_choice": f"training.session:{session.pk}"},
    )  # fmt: skip
    message = Message.objects.get()
    assert (message.audience, message.audience_object_id) == ("training.session", session.pk)
    assert response["Location"] == reverse("admin:members_message_preview", args=[message.pk])


@pytest.mark.worker
def test_a_real_worker_fans_out_and_each_member_gets_the_message_once_over_smtp(celery_worker_process, camden):
    from tests.network_portal.smtp import SmtpSink

    staff = UserFactory(is_staff=True)
    members = [MemberFactory(council=camden, consent_digest=True) for _ in range(25)]
    MemberFactory(council=camden, consent_digest=False)
    message = _message(camden)
    with SmtpSink() as sink:
        celery_worker_process(EMAIL_URL=sink.url)
        assert services.message_send(message_id=message.pk, sent_by=staff) == 25  # commits: the task is published
        received = sink.wait_for(25)
        assert sorted(email["To"] for email in received) == sorted(member.user.email for member in members)
        assert all(email["Subject"] == message.subject for email in received)
        assert all(email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for email in received)
        assert set(sink.outbox_ids().values()) == {1}
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_sent_message_is_read_only_in_the_admin(camden, staff, staff_client, django_capture_on_commit_callbacks):
    MemberFactory(council=camden, consent_digest=True)
    message = _message(camden)
    _send_and_deliver(message, staff, django_capture_on_commit_callbacks)
    url = reverse("admin:members_message_change", args=[message.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()
    staff_client.post(url, {"subject": "Changed", "body": "Changed", "kind": "news", "audience_choice": "everyone"})
    message.refresh_from_db()
    assert message.subject == "An extra training date"
