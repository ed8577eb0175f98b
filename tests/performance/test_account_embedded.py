"""/account/ in embedded mode (SQLite, as `make run` sets it up) shows every section with the same
six queries as on PostgreSQL: the sections' combined reads (annotations, the UNION of the resource
lists) are plain SQL both databases run.

The SQLite side runs in a subprocess with its own DATABASE_URL, as in test_embedded_search."""

from tests.embedded import run_on_sqlite

ACCOUNT_ON_SQLITE = """
import json
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from meetings import services as meeting_services
from meetings.models import Registration
from members.models import Topic
from resources.models import Download
from tests.factories import MemberFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.resources.factories import CaseStudyFactory, ResourceFactory, UpdateFactory
from tests.training.factories import BookingFactory, SessionFactory, past_session
from training.models import Booking

setup_test_environment()
member = MemberFactory()
user = member.user
member.interests.set(Topic.objects.order_by("position")[:2])
full = SessionFactory(capacity=0)
BookingFactory(session=full, status=Booking.Status.WAITLISTED)
BookingFactory(session=full, member=member, status=Booking.Status.WAITLISTED)
BookingFactory(session=past_session(days_ago=120), member=member, attended=Booking.Attended.YES)
no_seats = MeetingFactory(in_person_capacity=0)
for who in (MemberFactory().user, user):
    RegistrationFactory(meeting=no_seats, user=who, mode="in_person", status=Registration.Status.WAITLISTED)
RegistrationFactory(user=user)
meeting_services.calendar_feed_regenerate(user=user)
Download.objects.create(resource=ResourceFactory(title="Downloaded guide"), user=user)
CaseStudyFactory(submitter=user, title="Returned study", status="returned", review_note="Add figures")
UpdateFactory(author=user, title="Our news")

client = Client()
client.force_login(user)
client.get("/account/")
with CaptureQueriesContext(connection) as queries:
    page = client.get("/account/").content.decode()
print(json.dumps({"queries": len(queries), "page": page}))
"""


def test_the_account_page_on_sqlite_shows_every_section_in_six_queries(tmp_path):
    result = run_on_sqlite(tmp_path, ACCOUNT_ON_SQLITE)

    page = result["page"]
    assert "number 2 on the waiting list" in page
    assert "Answer the 3 months follow-up" in page
    assert "Number 2 on the in-person waiting list" in page and "Registered to attend online" in page
    assert "Your calendar address" in page
    assert "Downloaded guide" in page
    assert "Returned study – Returned with a note: “Add figures”" in page
    assert "Our news</a> – Published" in page
    assert result["queries"] == 6
