"""The pages the performance work covers, and who looks at them.

Shared by the query-budget tests, the query probe and the load benchmark, so the
three always talk about the same pages.
"""

from meetings.models import Meeting
from resources.models import Resource, Update
from training.models import Booking, Course, Session


def page_urls() -> dict[str, tuple[str, str]]:
    """name -> (who, path); who is "anon", "member" or "staff"."""
    meeting = Meeting.objects.published().order_by("-starts_at").first()
    session = Session.objects.published().order_by("-starts_at").first()
    course = Course.objects.order_by("pk").first()
    resource = Resource.objects.published().filter(visibility="public").order_by("-published_at").first()
    update = Update.objects.published().filter(visibility="public").order_by("-published_at").first()
    pages = {
        "home": ("anon", "/"),
        "home-member": ("member", "/"),
        "training": ("anon", "/training/"),
        "course": ("anon", course.get_absolute_url()),
        "session": ("anon", session.get_absolute_url()),
        "session-member": ("member", session.get_absolute_url()),
        "coverage": ("anon", "/training/coverage/"),
        "meetings": ("anon", "/meetings/"),
        "meeting": ("anon", meeting.get_absolute_url()),
        "meeting-member": ("member", meeting.get_absolute_url()),
        "resources": ("anon", "/resources/"),
        "resource-search": ("anon", "/resources/?q=housing"),
        "resource-search-member": ("member", "/resources/?q=housing"),
        "resource": ("anon", resource.get_absolute_url()),
        "updates": ("anon", "/updates/"),
        "update": ("anon", update.get_absolute_url()),
        "councils": ("anon", "/councils/"),
        "council": ("anon", "/councils/camden/"),
        "champions": ("anon", "/champions/"),
        "account": ("member", "/account/"),
        "directory": ("member", "/members/directory/"),
        "directory-search": ("member", "/members/directory/?q=scale"),
        "dashboard": ("staff", "/training/dashboard/"),
        "research": ("staff", "/training/research/"),
        "meeting-feedback": ("staff", f"{meeting.get_absolute_url()}feedback-summary/"),
        "admin-index": ("staff", "/admin/"),
        "admin-members": ("staff", "/admin/members/member/"),
        "admin-members-search": ("staff", "/admin/members/member/?q=scale1"),
        "admin-bookings": ("staff", "/admin/training/booking/"),
        "admin-resources": ("staff", "/admin/resources/resource/"),
        "admin-outbox": ("staff", "/admin/network_portal/outboxemail/"),
    }
    return pages


def busiest_member():
    """An approved member with bookings, so member pages have something to list."""
    booking = Booking.objects.filter(member__status="approved").select_related("member__user").order_by("pk").first()
    return booking.member
