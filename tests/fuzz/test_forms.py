"""Hypothesis posts random, valid-shaped and hostile data to every public
form. Whatever arrives: never a 500, and either the whole change is written
or nothing is."""

import os
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from meetings.forms import FeedbackForm as MeetingFeedbackForm
from meetings.models import Feedback as MeetingFeedback
from meetings.services import FEEDBACK_PURPOSE as MEETING_FEEDBACK
from members.forms import DirectoryFilterForm
from members.models import Council, Member, User
from network_portal.models import OutboxEmail
from network_portal.signing import make_token
from resources.forms import CaseStudyForm, LibraryFilterForm
from resources.models import CaseStudy, Topic
from tests.factories import PASSWORD, MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.training.factories import BookingFactory, SessionFactory, past_session
from training.forms import FeedbackForm, FollowUpForm, SessionFilterForm
from training.models import Booking, Feedback, FollowUp, Session

from .strategies import FUZZ, field, form_post, junk, object_id

pytestmark = pytest.mark.django_db


def _counts(*models) -> dict:
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def member_client(client):
    member = MemberFactory()
    client.force_login(member.user)
    client.member = member
    return client


# --- Sign-up ------------------------------------------------------------------


@pytest.fixture
def known_user(db):
    return UserFactory(email="already.here@example.org")


ROLE_DETAILS = [
    {"role": "councillor", "ward": "Holborn & Covent Garden", "job_title": ""},
    {"role": "officer", "ward": "", "job_title": "Public health officer"},
]
name_text = st.text(st.characters(categories=["L", "Zs", "Pd"]), max_size=40).filter(str.strip)


def _valid_signup(*, known_email: str, councils: list[str], topics: list[str]) -> st.SearchStrategy:
    """A sign-up a person could send: any names, a new or an already known
    address, the right details for the role."""
    base = st.fixed_dictionaries(
        {
            "first_name": name_text,
            "last_name": name_text,
            "email": st.one_of(
                st.from_regex(r"[a-z]{2,12}\.[a-z]{2,12}@example\.org", fullmatch=True), st.just(known_email)
            ),
            "password1": st.just(PASSWORD),
            "password2": st.just(PASSWORD),
            "council": st.sampled_from(councils),
            "interests": st.lists(st.sampled_from(topics), unique=True, max_size=3),
            "consent_directory": st.sampled_from(["on", ""]),
            "consent_research": st.sampled_from(["on", ""]),
        }
    )
    return st.builds(lambda form, details: {**form, **details}, base, st.sampled_from(ROLE_DETAILS))


@FUZZ
@given(data=st.data())
def test_signup_never_errors_and_writes_a_whole_member_or_nothing(known_user, data):
    cache.clear()  # allauth's sign-up limit per address would answer 429 part-way through
    councils = [str(pk) for pk in Council.objects.values_list("pk", flat=True)[:5]]
    topics = [str(pk) for pk in Topic.objects.values_list("pk", flat=True)]
    fuzzed = form_post(
        _signup_form(),
        email=st.one_of(st.just(known_user.email), st.emails()),
        council=councils,
        password1=[PASSWORD],
        password2=[PASSWORD],
    )
    form = data.draw(
        st.one_of(_valid_signup(known_email=known_user.email, councils=councils, topics=topics), fuzzed), label="form"
    )
    emails_before = set(User.objects.values_list("email", flat=True))
    before = _counts(User, Member, EmailAddress)

    response = Client().post(reverse("account_signup"), form)

    assert response.status_code in (200, 302)
    after = _counts(User, Member, EmailAddress)
    event("member written" if after["User"] > before["User"] else f"refused or known ({response.status_code})")
    if after["User"] > before["User"]:
        assert response.status_code == 302
        assert {name: after[name] - before[name] for name in after} == {"User": 1, "Member": 1, "EmailAddress": 1}
        user = User.objects.exclude(email__in=emails_before).get()
        assert Member.objects.filter(user=user).exists()
        assert OutboxEmail.objects.filter(to_email=user.email).exists()  # the verification email
    else:
        # Refused, or an address already known: allauth answers as if it were new (no enumeration).
        assert after == before


def _signup_form():
    from members.forms import SignupForm

    return SignupForm()


# --- Booking ------------------------------------------------------------------


@pytest.fixture
def sessions(db):
    return [
        SessionFactory(capacity=1),
        SessionFactory(capacity=0),  # full: bookings join the waiting list
        past_session(),
        SessionFactory(status=Session.Status.CANCELLED),
        SessionFactory(booking_deadline=timezone.now() - timedelta(hours=1)),
    ]


@FUZZ
@given(data=st.data())
def test_booking_posts_never_error_and_every_booking_comes_with_its_email(member_client, sessions, data):
    cache.clear()
    pk = data.draw(object_id([s.pk for s in sessions]), label="session")
    body = data.draw(st.dictionaries(junk, junk, max_size=3), label="body")
    last = Booking.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    before = _counts(Booking, OutboxEmail)

    response = member_client.post(reverse("training:session-book", args=[pk]), body)

    assert response.status_code in (302, 404)
    new = list(Booking.objects.filter(pk__gt=last))
    event(f"{response.status_code}, {len(new)} booking(s) written")
    assert len(new) <= 1
    if new:
        [booking] = new
        assert (booking.member, booking.session_id) == (member_client.member, pk)
        assert OutboxEmail.objects.filter(dedupe_key__endswith=f":booking:{booking.pk}").count() == 1
    else:
        assert _counts(Booking, OutboxEmail) == before


# --- Training feedback and follow-up -------------------------------------------


@FUZZ
@given(answers=form_post(FeedbackForm()))
def test_training_feedback_never_errors_and_stores_one_whole_answer_or_nothing(member_client, answers):
    cache.clear()
    booking = BookingFactory(member=member_client.member, session=past_session(), attended=Booking.Attended.YES)

    response = member_client.post(reverse("training:feedback", args=[booking.pk]), answers)

    assert response.status_code in (200, 400)
    stored = list(Feedback.objects.filter(booking=booking))
    event(f"status {response.status_code}")
    assert len(stored) == (1 if response.status_code == 200 else 0)
    for feedback in stored:
        feedback.full_clean()  # what was stored is on the scales and within lengths


# Mostly a real wave, so the form itself gets fuzzed; sometimes any path segment.
waves = st.sampled_from([*FollowUp.Wave.values, "other"]).flatmap(
    lambda wave: st.just(wave) if wave != "other" else field().filter(lambda w: w.strip() and "/" not in w)
)


@FUZZ
@given(wave=waves, answers=form_post(FollowUpForm(), evidence_url=["", "https://example.org/minutes.pdf"]))
def test_training_followup_never_errors_and_stores_one_whole_answer_or_nothing(member_client, wave, answers):
    cache.clear()
    booking = BookingFactory(
        member=member_client.member, session=past_session(days_ago=200), attended=Booking.Attended.YES
    )

    response = member_client.post(reverse("training:followup", args=[booking.pk, wave]), answers)

    assert response.status_code in ((200, 400) if wave in FollowUp.Wave.values else (404,))
    stored = list(FollowUp.objects.filter(booking=booking))
    event(f"status {response.status_code}")
    assert len(stored) == (1 if response.status_code == 200 else 0)
    for followup in stored:
        followup.full_clean()


# --- Meeting feedback ----------------------------------------------------------


@pytest.fixture
def past_meeting(db):
    starts = timezone.now() - timedelta(days=3)
    return MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))


@FUZZ
@given(answers=form_post(MeetingFeedbackForm()))
def test_meeting_feedback_never_errors_and_stores_one_whole_answer_or_nothing(client, past_meeting, answers):
    cache.clear()
    registration = RegistrationFactory(meeting=past_meeting)
    token = make_token(obj=registration, purpose=MEETING_FEEDBACK)

    response = client.post(reverse("meetings:feedback", args=[token]), answers)

    assert response.status_code in (200, 302)
    stored = list(MeetingFeedback.objects.filter(registration=registration))
    event(f"status {response.status_code}")
    assert len(stored) == (1 if response.status_code == 302 else 0)
    for feedback in stored:
        feedback.full_clean()


# --- Case studies ----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

attachments = st.one_of(
    st.none(),
    st.builds(
        SimpleUploadedFile,
        name=st.one_of(
            st.sampled_from(["report.pdf", "notes.docx", "photo.png", "run.exe", "page.html"]),
            # Any name a client can send; Django itself refuses to build one with no base name.
            junk.filter(lambda name: os.path.basename(name) not in {"", ".", ".."}),
        ),
        content=st.one_of(st.just(PDF), st.binary(max_size=2_000)),
    ),
)


@FUZZ
@given(data=st.data())
def test_case_study_never_errors_and_keeps_no_orphan_file(member_client, settings, data):
    cache.clear()
    answers = data.draw(form_post(CaseStudyForm()), label="answers")
    attachment = data.draw(attachments, label="attachment")
    if attachment is not None:
        answers["attachment"] = attachment
    before = CaseStudy.objects.count()

    response = member_client.post(reverse("resources:casestudy-create"), answers)

    assert response.status_code in (200, 302)
    event(f"status {response.status_code}, attachment {attachment is not None}")
    assert CaseStudy.objects.count() == before + (1 if response.status_code == 302 else 0)
    # Every stored file belongs to a case study: a refused post left nothing behind.
    root = settings.PRIVATE_STORAGE_ROOT
    files = (
        {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()} if root.exists() else set()
    )
    assert files == set(CaseStudy.objects.exclude(file="").values_list("file", flat=True))


# --- Search and filters ----------------------------------------------------------

pages = st.one_of(st.none(), field("1", "2", "last"))


def _query(params: dict, page) -> dict:
    return {**params, **({"page": page} if page is not None else {})}


@FUZZ
@given(data=st.data())
def test_resource_search_never_errors(client, data):
    params = data.draw(form_post(LibraryFilterForm()), label="params")
    assert client.get(reverse("resources:list"), _query(params, data.draw(pages, label="page"))).status_code == 200


@FUZZ
@given(data=st.data())
def test_training_filters_never_error(client, data):
    params = data.draw(form_post(SessionFilterForm()), label="params")
    assert client.get(reverse("training:index"), _query(params, data.draw(pages, label="page"))).status_code == 200


@FUZZ
@given(data=st.data())
def test_directory_search_never_errors(member_client, data):
    params = data.draw(form_post(DirectoryFilterForm()), label="params")
    assert (
        member_client.get(reverse("members:directory"), _query(params, data.draw(pages, label="page"))).status_code
        == 200
    )
