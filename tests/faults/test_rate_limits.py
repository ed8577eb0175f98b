"""Per-member limits on booking, registration, case-study and feedback POSTs,
and allauth's own limits on login and password reset, over the real Redis cache."""

import threading
from datetime import timedelta

import pytest
import redis
from allauth.account import app_settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Feedback as MeetingFeedback
from meetings.models import Registration
from network_portal.models import OutboxEmail
from network_portal.ratelimit import parse_rate, rate_limit_consume
from network_portal.signing import make_token
from resources.models import CaseStudy, Topic
from tests.factories import PASSWORD, MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.training.factories import SessionFactory
from training.models import Booking

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many attempts"


def _limit(settings, scope: str, rate: str) -> int:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: rate}
    return parse_rate(rate)[0]


def _assert_429(response):
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_the_rate_limit_counters_live_in_the_shared_redis_cache(settings):
    # Several web processes must share one count, which a per-process cache would not.
    assert settings.CACHES["default"]["BACKEND"] == "network_portal.redis_cache.SharedClientRedisCache"
    assert rate_limit_consume(scope="booking", who="user:probe") is True
    assert redis.Redis.from_url(settings.REDIS_URL).keys("*:ratelimit:booking:user:probe:*")


def test_booking_over_the_limit_gets_429_and_writes_no_booking_or_email(client, settings):
    allowed = _limit(settings, "booking", "2/h")
    member = MemberFactory()
    sessions = SessionFactory.create_batch(allowed + 1)
    client.force_login(member.user)

    for session in sessions[:allowed]:
        assert client.post(reverse("training:session-book", args=[session.pk])).status_code == 302
    emails_before = OutboxEmail.objects.count()
    response = client.post(reverse("training:session-book", args=[sessions[-1].pk]))

    _assert_429(response)
    assert Booking.objects.filter(member=member).count() == allowed
    assert not Booking.objects.filter(session=sessions[-1]).exists()
    assert OutboxEmail.objects.count() == emails_before


def test_the_limit_is_per_member_so_another_member_can_still_book(client, settings):
    allowed = _limit(settings, "booking", "1/h")
    session = SessionFactory()
    busy, other = MemberFactory(), MemberFactory()
    client.force_login(busy.user)
    for _ in range(allowed + 1):
        client.post(reverse("training:session-book", args=[session.pk]))

    client.force_login(other.user)
    assert client.post(reverse("training:session-book", args=[session.pk])).status_code == 302
    assert Booking.objects.filter(session=session, member=other).exists()


def test_viewing_pages_is_not_counted_only_posts_are(client, settings):
    _limit(settings, "booking", "1/h")
    session = SessionFactory()
    member = MemberFactory()
    client.force_login(member.user)
    for _ in range(5):
        assert client.get(reverse("training:session-detail", args=[session.pk])).status_code == 200
    assert client.post(reverse("training:session-book", args=[session.pk])).status_code == 302


def test_meeting_registration_over_the_limit_gets_429_and_writes_nothing(client, settings):
    allowed = _limit(settings, "registration", "1/h")
    member = MemberFactory()
    first, second = MeetingFactory(), MeetingFactory()
    client.force_login(member.user)

    assert client.post(reverse("meetings:register", args=[first.slug]), {"mode": "online"}).status_code == 302
    emails_before = OutboxEmail.objects.count()
    response = client.post(reverse("meetings:register", args=[second.slug]), {"mode": "online"})

    _assert_429(response)
    assert Registration.objects.filter(user=member.user).count() == allowed
    assert not Registration.objects.filter(meeting=second).exists()
    assert OutboxEmail.objects.count() == emails_before


def test_case_study_over_the_limit_gets_429_and_stores_nothing(client, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    allowed = _limit(settings, "casestudy", "1/h")
    member = MemberFactory()
    client.force_login(member.user)
    data = {
        "title": "Mental health first aid for housing officers",
        "council": member.council.pk,
        "topics": [Topic.objects.get(slug="housing").pk],
        "what_we_did": "We trained 40 housing officers.",
        "outcome": "Earlier referrals to support.",
    }

    assert client.post(reverse("resources:casestudy-create"), data).status_code == 302
    response = client.post(reverse("resources:casestudy-create"), {**data, "title": "A second one"})

    _assert_429(response)
    assert CaseStudy.objects.count() == allowed
    assert not CaseStudy.objects.filter(title="A second one").exists()


def _past_meeting():
    starts = timezone.now() - timedelta(days=2)
    return MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))


def _feedback_url(registration) -> str:
    return reverse("meetings:feedback", args=[make_token(obj=registration, purpose=meeting_services.FEEDBACK_PURPOSE)])


def test_meeting_feedback_by_link_over_the_limit_gets_429_and_writes_nothing(client, settings):
    _limit(settings, "feedback", "2/h")
    url = _feedback_url(RegistrationFactory(meeting=_past_meeting()))

    # Two invalid attempts use up the allowance (a script guessing would look like this).
    assert client.post(url, {"usefulness": "99"}).status_code == 200
    assert client.post(url, {"usefulness": ""}).status_code == 200
    response = client.post(url, {"usefulness": "5", "comments": "Very useful"})

    _assert_429(response)
    assert not MeetingFeedback.objects.exists()


def test_feedback_links_are_counted_per_link_not_per_address(client, settings):
    # Behind the proxy every visitor has the same address; one busy link must not block the others.
    _limit(settings, "feedback", "1/h")
    meeting = _past_meeting()
    busy, other = RegistrationFactory(meeting=meeting), RegistrationFactory(meeting=meeting)
    # One link each, made once: a token signed a second later is a different link.
    busy_url, other_url = _feedback_url(busy), _feedback_url(other)
    client.post(busy_url, {"usefulness": ""})
    _assert_429(client.post(busy_url, {"usefulness": ""}))

    assert client.post(other_url, {"usefulness": "4"}).status_code == 302
    assert MeetingFeedback.objects.filter(registration=other).exists()


def test_the_counter_is_atomic_when_many_requests_arrive_at_once():
    # 30 threads race for 5 places: add() + incr() in Redis let exactly 5 through.
    limit, racers = parse_rate("5/h")[0], 30
    results, barrier = [], threading.Barrier(racers)

    def attempt():
        barrier.wait()
        results.append(rate_limit_consume(scope="feedback", who="user:race"))

    with_limit = {"feedback": "5/h"}
    with override_settings(RATE_LIMITS=with_limit):
        threads = [threading.Thread(target=attempt) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results.count(True) == limit
    assert len(results) == racers


def test_a_new_window_starts_a_new_count():
    with override_settings(RATE_LIMITS={"booking": "1/m"}):
        assert rate_limit_consume(scope="booking", who="user:w", now=600.0) is True
        assert rate_limit_consume(scope="booking", who="user:w", now=630.0) is False
        assert rate_limit_consume(scope="booking", who="user:w", now=660.0) is True


def test_an_unreachable_cache_lets_the_booking_through(client, settings):
    # Redis down must not stop members booking: the limit is skipped, not enforced.
    settings.CACHES = {
        "default": {
            "BACKEND": "network_portal.redis_cache.SharedClientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    session = SessionFactory()
    member = MemberFactory()
    client.force_login(member.user)
    assert client.post(reverse("training:session-book", args=[session.pk])).status_code == 302
    assert Booking.objects.filter(session=session, member=member).exists()


@pytest.mark.parametrize("rate", ["10", "10/w", "x/m", "/m"])
def test_a_malformed_rate_is_refused(rate):
    with pytest.raises(ValueError, match="must look like"):
        parse_rate(rate)


# --- allauth's limits -------------------------------------------------------


def test_allauth_login_refuses_even_the_right_password_after_repeated_failures(client, settings):
    user = UserFactory()
    per_key = parse_rate_allauth(settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")[1])
    url = reverse("account_login")
    for _ in range(per_key):
        response = client.post(url, {"login": user.email, "password": "wrong-password-123"})
        assert response.status_code == 200

    response = client.post(url, {"login": user.email, "password": PASSWORD})

    # allauth's equivalent of a 429 for one account: the form refuses, whoever is asking.
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_allauth_login_from_one_address_gets_the_429_page_after_its_limit(client):
    per_ip = parse_rate_allauth(app_settings.RATE_LIMITS["login"])
    url = reverse("account_login")
    for number in range(per_ip):
        response = client.post(url, {"login": f"nobody{number}@example.org", "password": "wrong-password-123"})
        assert response.status_code == 200

    response = client.post(url, {"login": "nobody@example.org", "password": "wrong-password-123"})

    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()


def parse_rate_allauth(rate: str) -> int:
    """The count of allauth's "30/m/ip" form."""
    return int(rate.split("/")[0])


def test_allauth_password_reset_is_limited_and_sends_no_more_email(
    client, settings, django_capture_on_commit_callbacks
):
    user = UserFactory()
    per_key = parse_rate_allauth(settings.ACCOUNT_RATE_LIMITS["reset_password"].split(",")[1])
    url = reverse("account_reset_password")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(per_key):
            assert client.post(url, {"email": user.email}).status_code == 302
    sent = OutboxEmail.objects.filter(to_email=user.email).count()
    assert sent == per_key

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": user.email})

    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert OutboxEmail.objects.filter(to_email=user.email).count() == sent
