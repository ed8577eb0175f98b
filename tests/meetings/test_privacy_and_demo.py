import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from meetings import services
from meetings.models import CalendarFeed, Feedback, Meeting, Registration
from members import privacy
from tests.factories import MemberFactory

from .factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_every_meetings_field_is_classified_for_privacy():
    assert privacy.unclassified_fields(list(apps.get_app_config("meetings").get_models())) == []


def test_export_and_erasure_cover_registrations_feedback_and_the_calendar_feed(client):
    starts = timezone.now() - timedelta(hours=5)
    meeting = MeetingFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))
    registration = RegistrationFactory(meeting=meeting, access_needs="Hearing loop please")
    services.feedback_submit(registration_id=registration.pk, usefulness=5, comments="Loved the housing session")
    feed = services.calendar_feed_regenerate(user=registration.user)

    exported = privacy.export_user(registration.user)
    assert exported["meetings.Registration"][0]["access_needs"] == "Hearing loop please"
    assert exported["meetings.Feedback"][0]["comments"] == "Loved the housing session"

    with transaction.atomic():
        privacy.erase_user(registration.user)

    registration.refresh_from_db()
    feedback = Feedback.objects.get()
    assert registration.access_needs == ""
    assert feedback.comments == "" and feedback.usefulness == 5
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404
    assert CalendarFeed.objects.get().token != feed.token


def test_demo_seed_is_labelled_chaired_by_the_cmh_chief_executive_and_idempotent():
    from meetings import demo

    MemberFactory(user__email="demo-councillor@example.org")
    out = io.StringIO()
    demo.seed(out)
    demo.seed(out)

    meetings = Meeting.objects.all()
    assert meetings.count() == 3
    assert all(m.title.endswith("(demo)") and "Demo content" in m.summary for m in meetings)
    assert {m.chair for m in meetings} == {"Chief Executive, Centre for Mental Health"}
    assert sorted(m.status for m in meetings) == ["draft", "published", "published"]
    assert Registration.objects.count() == 1
    assert meetings.filter(minutes_published_at__isnull=False).count() == 1
