from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from network_portal.signing import make_token
from tests.factories import MemberFactory
from training import services
from training.models import Booking, Feedback, FollowUp

from .factories import BookingFactory, FeedbackFactory, feedback_answers, past_session

pytestmark = pytest.mark.django_db


def _attended(**kwargs):
    return BookingFactory(session=past_session(**kwargs), attended=Booking.Attended.YES)


def _link(booking):
    return reverse("training:feedback-link", kwargs={"token": services.feedback_token(booking)})


def test_feedback_link_opens_the_form_without_logging_in(client):
    booking = _attended()
    response = client.get(_link(booking))
    assert response.status_code == 200
    content = response.content.decode()
    assert booking.session.course.title in content
    for label in ("Excellent", "Good", "Average", "Poor", "Very poor"):
        assert f"> {label}" in content or f">{label}" in content or label in content
    assert "Samaritans on 116 123" in content


def test_feedback_by_link_is_recorded_once(client):
    booking = _attended()
    response = client.post(_link(booking), feedback_answers())
    assert response.status_code == 200
    assert "Your feedback has been recorded" in response.content.decode()
    feedback = Feedback.objects.get(booking=booking)
    assert feedback.rating == "excellent"
    assert feedback.confidence_self_after == 5
    assert feedback.research_consent is True
    again = client.post(_link(booking), feedback_answers(rating="poor"))
    assert "already answered" in again.content.decode()
    assert Feedback.objects.get(booking=booking).rating == "excellent"


def test_logged_in_member_gives_feedback_from_my_account(client):
    booking = _attended()
    client.force_login(booking.member.user)
    url = reverse("training:feedback", args=[booking.pk])
    assert client.get(url).status_code == 200
    client.post(url, feedback_answers())
    assert Feedback.objects.filter(booking=booking).exists()


def test_nobody_else_can_use_the_logged_in_feedback_page(client):
    booking = _attended()
    client.force_login(MemberFactory().user)
    assert client.get(reverse("training:feedback", args=[booking.pk])).status_code == 404


@pytest.mark.parametrize("rating", ["outstanding", "", "6"])
def test_rating_outside_the_scale_is_a_form_error(client, rating):
    booking = _attended()
    response = client.post(_link(booking), feedback_answers(rating=rating))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "This field is required" in response.content.decode()
    assert not Feedback.objects.exists()


def test_confidence_outside_one_to_five_is_a_form_error(client):
    booking = _attended()
    response = client.post(_link(booking), feedback_answers(confidence_residents_after="9"))
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_service_refuses_a_rating_off_the_scale():
    with pytest.raises(ValidationError) as error:
        services.feedback_submit(booking=_attended(), answers={**_typed_feedback(), "rating": "superb"})
    assert list(error.value.message_dict) == ["rating"]
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("attended", [Booking.Attended.NO, Booking.Attended.UNKNOWN])
def test_feedback_for_a_booking_not_attended_is_refused(client, attended):
    booking = BookingFactory(session=past_session(), attended=attended)
    response = client.get(_link(booking))
    assert response.status_code == 403
    assert "only be given for a session you attended" in response.content.decode()
    client.post(_link(booking), feedback_answers())
    assert not Feedback.objects.exists()
    with pytest.raises(services.FeedbackRefused):
        services.feedback_submit(booking=booking, answers=_typed_feedback())


def test_service_refuses_feedback_twice():
    feedback = FeedbackFactory()
    with pytest.raises(services.FeedbackRefused, match="already given feedback"):
        services.feedback_submit(booking=feedback.booking, answers=_typed_feedback())
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        lambda b: services.feedback_token(b)[:-2] + "xx",
        lambda b: make_token(obj=b, purpose="meeting-feedback"),
        lambda b: services.followup_token(b, "3m"),
    ],
)
def test_tampered_or_wrong_purpose_link_shows_the_clear_page(client, token):
    booking = _attended()
    value = token(booking) if callable(token) else token
    response = client.get(reverse("training:feedback-link", kwargs={"token": value}))
    assert response.status_code == 400
    assert "This link is invalid or has expired" in response.content.decode()


def _typed_feedback():
    return {
        "rating": "good",
        "usefulness": 3,
        "confidence_residents_before": 2,
        "confidence_residents_after": 4,
        "confidence_self_before": 3,
        "confidence_self_after": 3,
        "research_consent": False,
    }


def _followup_answers(**overrides):
    answers = {
        "raised_in_meeting": "True",
        "influenced_policy": "True",
        "policy_area": "housing",
        "policy_description": "Proposed a motion on mental health in temporary accommodation.",
        "evidence_url": "https://democracy.example.gov.uk/motion-12",
        "became_champion": "False",
        "changed_own_wellbeing": "True",
        "would_recommend": "yes",
        "research_consent": "on",
    }
    answers.update(overrides)
    return answers


def test_three_month_follow_up_by_link_is_recorded():
    booking = _attended(days_ago=100)
    from django.test import Client

    url = reverse("training:followup-link", kwargs={"wave": "3m", "token": services.followup_token(booking, "3m")})
    response = Client().post(url, _followup_answers())
    assert response.status_code == 200
    followup = FollowUp.objects.get(booking=booking, wave="3m")
    assert followup.influenced_policy is True
    assert followup.policy_area == "housing"
    assert followup.became_champion is False


def test_follow_up_saying_policy_influenced_needs_an_area(client):
    booking = _attended(days_ago=100)
    client.force_login(booking.member.user)
    url = reverse("training:followup", args=[booking.pk, "3m"])
    response = client.post(url, _followup_answers(policy_area=""))
    assert response.status_code == 400
    assert "Choose the service area" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_follow_up_before_it_opens_is_refused(client):
    booking = _attended(days_ago=30)
    client.force_login(booking.member.user)
    response = client.get(reverse("training:followup", args=[booking.pk, "3m"]))
    assert response.status_code == 403
    assert "This follow-up opens on" in response.content.decode()


def test_follow_up_wave_must_exist(client):
    booking = _attended(days_ago=100)
    client.force_login(booking.member.user)
    assert client.get(reverse("training:followup", args=[booking.pk, "9m"])).status_code == 404


def test_follow_up_twice_is_refused():
    booking = _attended(days_ago=200)
    typed = {**_followup_answers(), "raised_in_meeting": True, "became_champion": False, "research_consent": True}
    services.followup_submit(
        booking=booking, wave="6m", answers={**typed, "influenced_policy": False, "changed_own_wellbeing": True}
    )
    with pytest.raises(services.FeedbackRefused, match="already answered"):
        services.followup_submit(booking=booking, wave="6m", answers={**typed, "influenced_policy": True})
    assert FollowUp.objects.count() == 1
    assert FollowUp.objects.get().policy_area == ""


def test_follow_up_opens_three_calendar_months_after_the_session():
    booking = _attended(days_ago=10)
    opens = services.followup_opens_at(booking.session, "3m")
    local_end = timezone.localtime(booking.session.ends_at)
    local_open = timezone.localtime(opens)
    assert (local_open.hour, local_open.minute) == (local_end.hour, local_end.minute)
    assert opens - booking.session.ends_at > timedelta(days=88)
