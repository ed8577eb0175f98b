"""My account's "My downloads" and "My submissions": the member's own rows only, newest first,
read in one query."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from resources.models import CaseStudy, Download, Update
from resources.templatetags.resources import MY_DOWNLOADS, my_resources_lists
from tests.factories import MemberFactory

from .factories import CaseStudyFactory, ResourceFactory, UpdateFactory

pytestmark = pytest.mark.django_db


def _section(user) -> str:
    request = RequestFactory().get("/account/")
    request.user = user
    return render_to_string("resources/_account_section.html", {"user": user}, request=request)


def test_my_downloads_are_my_latest_ten_newest_first():
    user = MemberFactory().user
    now = timezone.now()
    resources = [ResourceFactory(title=f"Guide {n}") for n in range(MY_DOWNLOADS + 2)]
    for n, resource in enumerate(resources):
        Download.objects.create(resource=resource, user=user, downloaded_at=now - timedelta(hours=n))
    Download.objects.create(resource=ResourceFactory(title="Someone else's guide"), user=MemberFactory().user)

    downloads = my_resources_lists(user)["downloads"]

    assert [d.resource.title for d in downloads] == [r.title for r in resources[:MY_DOWNLOADS]]
    assert [d.downloaded_at for d in downloads] == [now - timedelta(hours=n) for n in range(MY_DOWNLOADS)]
    assert downloads[0].get_absolute_url() == resources[0].get_absolute_url()


def test_my_submissions_link_what_is_published_and_quote_the_return_note():
    user = MemberFactory().user
    now = timezone.now()
    published = ResourceFactory(title="Published from a case study")
    CaseStudyFactory(submitter=user, title="Published one", status="published", resource=published)
    CaseStudyFactory(submitter=user, title="Returned one", status="returned", review_note="Add the figures")
    CaseStudyFactory(title="Someone else's case study")
    live = UpdateFactory(author=user, title="Live update", created_at=now - timedelta(days=2))
    UpdateFactory(author=user, title="Draft update", status=Update.Status.SUBMITTED, published_at=None)
    UpdateFactory(title="Someone else's update")

    html = _section(user)

    assert f'<a href="{published.get_absolute_url()}">Published one</a> – Published' in html
    assert "Returned one – Returned with a note: “Add the figures”" in html
    assert f'<a href="{live.get_absolute_url()}">Live update</a> – Published' in html
    assert "Draft update – Waiting for staff approval" in html
    assert "Someone else" not in html
    mine = my_resources_lists(user)
    assert [c.title for c in mine["case_studies"]] == [c.title for c in CaseStudy.objects.submitted_by(user)]
    assert [u.title for u in mine["partner_updates"]] == ["Draft update", "Live update"]


def test_the_three_lists_are_one_query(django_assert_num_queries):
    user = MemberFactory().user
    for _ in range(3):
        Download.objects.create(resource=ResourceFactory(), user=user)
        CaseStudyFactory(submitter=user)
        UpdateFactory(author=user)

    with django_assert_num_queries(1):
        mine = my_resources_lists(user)

    assert [len(rows) for rows in mine.values()] == [3, 3, 3]


def test_nothing_yet_says_so():
    html = _section(MemberFactory().user)
    assert "You have not downloaded anything yet." in html
    assert "You have not shared anything yet." in html
    assert my_resources_lists(AnonymousUser()) == {"downloads": [], "case_studies": [], "partner_updates": []}
