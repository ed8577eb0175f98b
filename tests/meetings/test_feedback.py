from datetime import timedelta

import pytest
from django.utils import timezone

from meetings import services
from meetings.models import Feedback, Registration
from network_portal.signing import make_token
from tests.factories import UserFactory

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _ended_registration(**kwargs):
    starts = timezone.now() - timedelta(hours=5)
    meeting = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))
    return RegistrationFactory(meeting=meeting, **kwargs)


def _link(registration) -> str:
    return services.feedback_link(registration).removeprefix("http://testserver")


def test_feedback_by_signed_link_is_stored_once_per_registration(client):
    registration = _ended_registration()
    link = _link(registration)

    form = client.get(link)
    assert form.status_code == 200
    assert "How useful was the meeting?" in form.content.decode()

    response = client.post(link, {"usefulness": "4", "topics_next_time": "Housing", "comments": "Good"}, follow=True)
    assert "Thank you for your feedback" in response.content.decode()

    client.post(link, {"usefulness": "1", "comments": "Second try"})
    assert Feedback.objects.get().usefulness == 4
    assert Feedback.objects.count() == 1


def test_tampered_or_wrong_purpose_feedback_link_gives_the_clear_page(client):
    registration = _ended_registration()
    link = _link(registration)

    tampered = client.get(link[:-3] + "xx/")
    other_purpose = client.get(f"/meetings/feedback/{make_token(obj=registration, purpose='other')}/")

    for response in (tampered, other_purpose):
        assert response.status_code == 400
        assert "This link is invalid or has expired" in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_form_requires_a_usefulness_score(client):
    link = _link(_ended_registration())

    response = client.post(link, {"comments": "No score"})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_refused_for_cancelled_registration_or_before_the_meeting():
    cancelled = _ended_registration(status=Registration.Status.CANCELLED)
    upcoming = RegistrationFactory()

    with pytest.raises(services.FeedbackRefused, match="cancelled"):
        services.feedback_submit(registration_id=cancelled.pk, usefulness=3)
    with pytest.raises(services.FeedbackRefused, match="once the meeting has taken place"):
        services.feedback_submit(registration_id=upcoming.pk, usefulness=3)


def test_staff_feedback_summary_counts_scores_live(client):
    registration = _ended_registration()
    meeting = registration.meeting
    scores = [5, 4, 4, 2]
    for score in scores:
        other = RegistrationFactory(meeting=meeting)
        services.feedback_submit(registration_id=other.pk, usefulness=score, topics_next_time=f"Topic {score}")
    summary = Feedback.objects.filter(registration__meeting=meeting).summary()

    assert summary["n"] == len(scores)
    assert summary["mean"] == round(sum(scores) / len(scores), 1)
    assert summary["useful_percent"] == round(100 * len([s for s in scores if s >= 4]) / len(scores))
    assert [row["count"] for row in summary["rows"]] == [scores.count(v) for v in range(1, 6)]

    url = f"/meetings/{meeting.slug}/feedback-summary/"
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=True))
    html = client.get(url).content.decode()
    assert f"Responses: {len(scores)}" in html
    assert "Topic 2" in html


def test_feedback_summary_with_no_responses_says_so(client):
    meeting = _ended_registration().meeting
    client.force_login(UserFactory(is_staff=True))

    html = client.get(f"/meetings/{meeting.slug}/feedback-summary/").content.decode()

    assert "No feedback yet" in html
    assert Feedback.objects.filter(registration__meeting=meeting).summary()["mean"] is None
