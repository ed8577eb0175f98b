"""The access matrix: every URL pattern in the project, and what each kind of
visitor gets from a GET.

Roles: anonymous, a pending applicant, the approved member who owns the
objects in the URL ("owner"), another approved member ("other"), staff, and a
researcher (the evaluators' export permission, no membership). A route missing
from ROUTES fails test_every_url_pattern_is_in_the_matrix, so each new route
has to be classified here. Admin routes follow one rule (staff only) and are
checked in test_every_admin_route_is_staff_only.

Then the privileged accounts again, signed in with a password but no
authenticator step in this session: staff with no authenticator app yet, a
superuser (without is_staff) who has one but has not used it, and a
researcher with none. They get MFA (a redirect to the authenticator step or
to set-up) on every privileged route: for staff and superusers every route
but signing in and out and the MFA pages, for researchers the views marked
with their permission. By default a route expects MFA for the first two and
the researcher's own outcome for the third; `no_mfa` says otherwise.
"""

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import CalendarFeed, Paper, Registration
from members import services as member_services
from members.models import Member, Reconfirmation
from network_portal import uploads
from network_portal.middleware import MFA_EXEMPT_URL_NAMES
from network_portal.privileges import registered_permissions, view_privileged_permission
from network_portal.signing import make_token
from resources import services as resource_services
from resources.models import Resource
from tests.factories import MemberFactory, UserFactory
from tests.meetings.factories import MeetingFactory, RegistrationFactory
from tests.members.factories import AppointmentFactory
from tests.resources import files
from tests.resources.factories import CaseStudyFactory, ResourceFactory, UpdateFactory
from tests.security.mfa import force_login_without_mfa, totp_enrol
from tests.training.factories import (
    BookingFactory,
    ResearchProjectFactory,
    SessionFactory,
    past_session,
    researcher_group,
)
from training import services as training_services
from training.models import Booking, Commitment, Feedback

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous", "pending", "owner", "other", "staff", "researcher",
    "staff_no_mfa", "superuser_no_mfa", "researcher_no_mfa",
)  # fmt: skip
NO_MFA_ROLES = ROLES[6:]
LOGIN = "login"  # a 302 to the login page
MFA = "mfa"  # a 302 to the authenticator step, or to the page about setting one up


@dataclass(frozen=True)
class Route:
    url: object  # a function of the fixture world returning the path
    expect: tuple  # one status (or LOGIN, MFA) per role, in ROLES order


def _r(url, anonymous, pending, owner, other, staff, researcher, *, no_mfa=None):
    if no_mfa is None:
        no_mfa = (MFA, MFA, researcher)
    return Route(url, (anonymous, pending, owner, other, staff, researcher, *no_mfa))


def _all(status):
    return (status,) * 6


# The researcher's export: MFA for every privileged account without the step.
RESEARCH_GATED = (MFA, MFA, MFA)


# fmt: off
ROUTES = {
    # Site pages
    "home": _r(lambda w: "/", *_all(200)),
    "healthz": _r(lambda w: "/healthz", *_all(200), no_mfa=(200, 200, 200)),
    "accessibility": _r(lambda w: "/accessibility/", *_all(200)),
    "privacy": _r(lambda w: "/privacy/", *_all(200)),
    "door-registers-today": _r(lambda w: reverse("door-registers-today"), 302, 302, 302, 302, 200, 302),
    # allauth: the entrance pages send signed-in people on; the account pages need a login.
    "account_login": _r(lambda w: reverse("account_login"), 200, 302, 302, 302, 302, 302, no_mfa=(302, 302, 302)),
    "account_logout": _r(lambda w: reverse("account_logout"), 302, 200, 200, 200, 200, 200, no_mfa=(200, 200, 200)),
    "account_inactive": _r(lambda w: reverse("account_inactive"), *_all(200), no_mfa=(200, 200, 200)),
    "account_signup": _r(lambda w: reverse("account_signup"), 200, 302, 302, 302, 302, 302),
    "account_reauthenticate": _r(lambda w: reverse("account_reauthenticate"), LOGIN, 200, 200, 200, 200, 200),
    "account_email": _r(lambda w: reverse("account_email"), LOGIN, 200, 200, 200, 200, 200),
    "account_email_verification_sent": _r(
        lambda w: reverse("account_email_verification_sent"), *_all(200), no_mfa=(200, 200, 200)
    ),
    "account_change_password": _r(lambda w: reverse("account_change_password"), LOGIN, 200, 200, 200, 200, 200),
    "account_set_password": _r(lambda w: reverse("account_set_password"), LOGIN, 302, 302, 302, 302, 302),
    "account_reset_password": _r(lambda w: reverse("account_reset_password"), *_all(200), no_mfa=(200, 200, 200)),
    "account_confirm_login_code": _r(lambda w: reverse("account_confirm_login_code"), LOGIN, 302, 302, 302, 302, 302),
    "account_confirm_email": _r(
        lambda w: reverse("account_confirm_email", args=["not-a-key"]), *_all(200), no_mfa=(200, 200, 200)
    ),
    "account_reset_password_from_key_done": _r(
        lambda w: reverse("account_reset_password_from_key_done"), *_all(200), no_mfa=(200, 200, 200)
    ),
    "account_reset_password_from_key": _r(
        lambda w: reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"}), *_all(200),
        no_mfa=(200, 200, 200),
    ),
    "account_reset_password_done": _r(
        lambda w: reverse("account_reset_password_done"), *_all(200), no_mfa=(200, 200, 200)
    ),
    "mfa_index": _r(lambda w: reverse("mfa_index"), LOGIN, 200, 200, 200, 200, 200),
    "mfa_authenticate": _r(
        lambda w: reverse("mfa_authenticate"), LOGIN, 302, 302, 302, 302, 302, no_mfa=(302, 302, 302)
    ),
    # The step itself, for those with an authenticator app.
    "mfa_reauthenticate": _r(
        lambda w: reverse("mfa_reauthenticate"), LOGIN, 302, 302, 302, 200, 200, no_mfa=(302, 200, 302)
    ),
    # Privileged accounts set up an authenticator app only through an invitation.
    "mfa_activate_totp": _r(
        # (The superuser has an app already, so allauth sends them on to its page.)
        lambda w: reverse("mfa_activate_totp"), LOGIN, 302, 302, 302, 302, 302, no_mfa=(MFA, 302, MFA)
    ),
    "mfa-invitation": _r(lambda w: reverse("mfa-invitation", args=["forged"]), *_all(400), no_mfa=(400, 400, 400)),
    "mfa-setup-needed": _r(
        lambda w: reverse("mfa-setup-needed"), LOGIN, 302, 302, 302, 302, 302, no_mfa=(200, 302, 200)
    ),
    # Without an authenticator app there is nothing to deactivate or show
    # (privileged accounts signed in with MFA have one, and no codes yet).
    "mfa_deactivate_totp": _r(
        lambda w: reverse("mfa_deactivate_totp"), LOGIN, 404, 404, 404, 302, 302, no_mfa=(MFA, MFA, 404)
    ),
    "mfa_view_recovery_codes": _r(lambda w: reverse("mfa_view_recovery_codes"), LOGIN, 404, 404, 404, 404, 404),
    "mfa_generate_recovery_codes": _r(lambda w: reverse("mfa_generate_recovery_codes"), LOGIN, 302, 302, 302, 302, 302),
    "mfa_download_recovery_codes": _r(lambda w: reverse("mfa_download_recovery_codes"), LOGIN, 404, 404, 404, 404, 404),
    # Members
    "members:account": _r(lambda w: reverse("members:account"), LOGIN, 200, 200, 200, 200, 200),
    "members:profile-edit": _r(lambda w: reverse("members:profile-edit"), LOGIN, 200, 200, 200, 404, 404),
    "members:consent-update": _r(lambda w: reverse("members:consent-update"), LOGIN, 405, 405, 405, 405, 405),
    "members:data-export": _r(lambda w: reverse("members:data-export"), LOGIN, 405, 405, 405, 405, 405),
    "members:account-delete": _r(lambda w: reverse("members:account-delete"), LOGIN, 200, 200, 200, 200, 200),
    "members:directory": _r(lambda w: reverse("members:directory"), LOGIN, 403, 200, 200, 200, 403),
    "members:champions": _r(lambda w: reverse("members:champions"), *_all(200)),
    "members:council-list": _r(lambda w: reverse("members:council-list"), *_all(200)),
    "members:council-detail": _r(lambda w: reverse("members:council-detail", args=["camden"]), *_all(200)),
    "members:reconfirm": _r(lambda w: reverse("members:reconfirm", args=[w.reconfirm_token]), *_all(200)),
    "members:contact": _r(lambda w: reverse("members:contact"), *_all(200)),
    "members:news-unsubscribe": _r(
        lambda w: reverse("members:news-unsubscribe", args=[w.news_unsubscribe_token]), *_all(200)
    ),
    # Meetings
    "meetings:list": _r(lambda w: reverse("meetings:list"), *_all(200)),
    "meetings:feedback": _r(lambda w: reverse("meetings:feedback", args=[w.meeting_feedback_token]), *_all(200)),
    "meetings:ics": _r(lambda w: reverse("meetings:ics", args=[w.meeting.slug]), *_all(200)),
    "meetings:detail": _r(lambda w: reverse("meetings:detail", args=[w.meeting.slug]), *_all(200)),
    "meetings:register": _r(
        # The owner is registered already, so is sent to the meeting page.
        lambda w: reverse("meetings:register", args=[w.meeting.slug]), LOGIN, 403, 302, 200, 200, 403
    ),
    "meetings:cancel": _r(lambda w: reverse("meetings:cancel", args=[w.meeting.slug]), *_all(405)),
    "meetings:paper": _r(
        lambda w: reverse("meetings:paper", args=[w.meeting.slug, w.paper.pk]), LOGIN, 403, 200, 200, 200, 403
    ),
    "meetings:feedback-summary": _r(
        lambda w: reverse("meetings:feedback-summary", args=[w.meeting.slug]), 302, 302, 302, 302, 200, 302
    ),
    # The door register: staff only; marking and walk-ins are POSTs.
    "meetings:door-register": _r(
        lambda w: reverse("meetings:door-register", args=[w.meeting.slug]), 302, 302, 302, 302, 200, 302
    ),
    "meetings:door-mark": _r(lambda w: reverse("meetings:door-mark", args=[w.meeting.slug, 1]), *_all(405)),
    "meetings:door-walk-in": _r(lambda w: reverse("meetings:door-walk-in", args=[w.meeting.slug]), *_all(405)),
    "meetings:calendar-regenerate": _r(lambda w: reverse("meetings:calendar-regenerate"), *_all(405)),
    "meetings:calendar-feed": _r(lambda w: reverse("meetings:calendar-feed", args=[w.feed.token]), *_all(200)),
    # Training
    "training:index": _r(lambda w: reverse("training:index"), *_all(200)),
    "training:course-detail": _r(lambda w: reverse("training:course-detail", args=[w.session.course.slug]), *_all(200)),
    "training:session-detail": _r(lambda w: reverse("training:session-detail", args=[w.session.pk]), *_all(200)),
    "training:session-ics": _r(lambda w: reverse("training:session-ics", args=[w.session.pk]), *_all(200)),
    "training:session-book": _r(lambda w: reverse("training:session-book", args=[w.session.pk]), *_all(405)),
    "training:booking-cancel": _r(lambda w: reverse("training:booking-cancel", args=[w.booking.pk]), *_all(405)),
    # The owner's own feedback and follow-up forms; anyone else's booking is a 404.
    "training:feedback": _r(
        lambda w: reverse("training:feedback", args=[w.past_booking.pk]), LOGIN, 404, 200, 404, 404, 404
    ),
    "training:followup": _r(
        lambda w: reverse("training:followup", args=[w.past_booking.pk, "3m"]), LOGIN, 404, 200, 404, 404, 404
    ),
    # The owner's certificate; the verification address is public.
    "training:certificate": _r(
        lambda w: reverse("training:certificate", args=[w.past_booking.pk]), LOGIN, 404, 200, 404, 404, 404
    ),
    "training:certificate-verify": _r(
        lambda w: reverse("training:certificate-verify", args=[w.certificate_token]), *_all(200)
    ),
    "training:feedback-link": _r(
        lambda w: reverse("training:feedback-link", args=[w.training_feedback_token]), *_all(200)
    ),
    "training:testimonial-withdraw": _r(
        lambda w: reverse("training:testimonial-withdraw", args=[w.past_booking.pk]), *_all(405)
    ),
    "training:followup-link": _r(
        lambda w: reverse("training:followup-link", args=["3m", w.followup_token]), *_all(200)
    ),
    "training:commitment-report": _r(
        lambda w: reverse("training:commitment-report", args=[w.owner.council.slug]), LOGIN, 403, 200, 403, 403, 403
    ),
    "training:commitment-evidence": _r(
        lambda w: reverse("training:commitment-evidence", args=[w.commitment.pk]), *_all(200)
    ),
    "training:door-register": _r(
        lambda w: reverse("training:door-register", args=[w.session.pk]), 302, 302, 302, 302, 200, 302
    ),
    "training:door-mark": _r(lambda w: reverse("training:door-mark", args=[w.session.pk, w.booking.pk]), *_all(405)),
    "training:door-walk-in": _r(lambda w: reverse("training:door-walk-in", args=[w.session.pk]), *_all(405)),
    "training:coverage": _r(lambda w: reverse("training:coverage"), *_all(200)),
    "training:coverage-csv": _r(lambda w: reverse("training:coverage-csv"), *_all(200)),
    "training:dashboard": _r(lambda w: reverse("training:dashboard"), 302, 302, 302, 302, 200, 302),
    "training:outcomes": _r(lambda w: reverse("training:outcomes"), 302, 302, 302, 302, 200, 302),
    "training:outcomes-csv": _r(
        lambda w: reverse("training:outcomes-csv", args=["confidence"]), 302, 302, 302, 302, 200, 302
    ),
    "training:research": _r(
        lambda w: reverse("training:research"), LOGIN, 403, 403, 403, 200, 200, no_mfa=RESEARCH_GATED
    ),
    "training:research-package": _r(
        lambda w: reverse("training:research-package", args=[w.research_project.pk]),
        LOGIN, 403, 403, 403, 200, 200, no_mfa=RESEARCH_GATED,
    ),
    # Resources
    "resources:list": _r(lambda w: reverse("resources:list"), *_all(200)),
    # The summary is public; the members-only file or link is not.
    "resources:detail": _r(lambda w: reverse("resources:detail", args=[w.resource.slug]), *_all(200)),
    "resources:download": _r(
        # A link resource: members are sent on to it.
        lambda w: reverse("resources:download", args=[w.resource.slug]), LOGIN, 403, 302, 302, 302, 403
    ),
    "resources:update-list": _r(lambda w: reverse("resources:update-list"), *_all(200)),
    "resources:update-feed": _r(lambda w: reverse("resources:update-feed"), *_all(200)),
    # Partners only: the members here are councillors.
    "resources:update-create": _r(lambda w: reverse("resources:update-create"), LOGIN, 403, 403, 403, 403, 403),
    "resources:digest-unsubscribe": _r(
        lambda w: reverse("resources:digest-unsubscribe", args=[w.unsubscribe_token]), *_all(200)
    ),
    "resources:update-detail": _r(lambda w: reverse("resources:update-detail", args=[w.update.slug]), *_all(200)),
    "resources:casestudy-create": _r(lambda w: reverse("resources:casestudy-create"), LOGIN, 403, 200, 200, 200, 403),
    # Only the submitter and staff may open a case study's attachment.
    "resources:casestudy-attachment": _r(
        lambda w: reverse("resources:casestudy-attachment", args=[w.case_study.pk]), LOGIN, 403, 200, 403, 200, 403
    ),
}
# fmt: on


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def _is_admin(route) -> bool:
    return route.startswith(settings.ADMIN_PATH)


def test_every_url_pattern_is_in_the_matrix():
    routes = [(route, name) for route, name, _ in _walk(get_resolver().url_patterns) if not _is_admin(route)]
    unnamed = [route for route, name in routes if not name]
    unclassified = sorted(name for route, name in routes if name and name not in ROUTES)
    stale = sorted(set(ROUTES) - {name for _, name in routes})
    assert not unnamed, f"Name these routes so the matrix can classify them: {unnamed}"
    assert not unclassified, f"Add these routes to the access matrix: {unclassified}"
    assert not stale, f"These matrix entries match no route any more: {stale}"


def _expected(name, role):
    return ROUTES[name].expect[ROLES.index(role)]


def _more_than_a_member_gets(name, role) -> bool:
    """The role opens a route that neither a visitor nor an ordinary member can."""
    return _expected(name, role) == 200 and 200 not in (_expected(name, "anonymous"), _expected(name, "other"))


def test_no_privileged_route_opens_without_the_mfa_step():
    """Whatever staff or a researcher open beyond what a member can, the same
    account without its authenticator step in this session is sent to the step."""
    unguarded = [
        f"{name} ({no_mfa})"
        for name in ROUTES
        for role, no_mfa in (
            ("staff", "staff_no_mfa"),
            ("staff", "superuser_no_mfa"),
            ("researcher", "researcher_no_mfa"),
        )
        # The exempt pages are the MFA steps themselves (pinned in the next test but one).
        if _more_than_a_member_gets(name, role) and _expected(name, no_mfa) != MFA and name not in MFA_EXEMPT_URL_NAMES
    ]
    assert not unguarded, f"Privileged routes open without MFA: {unguarded}"


def test_staff_without_the_mfa_step_open_only_the_sign_in_and_mfa_pages():
    opened = sorted(
        name
        for name in ROUTES
        for role in ("staff_no_mfa", "superuser_no_mfa")
        if _expected(name, role) == 200 and name not in MFA_EXEMPT_URL_NAMES
    )
    assert not opened, f"Staff without MFA would open: {opened}"


def test_the_pages_exempt_from_the_mfa_gate_are_only_signing_in_and_out_and_mfa():
    # Widening this list opens pages to a password-only staff session: it needs a reason here.
    health_check = {"healthz"}
    signing_in_and_out = {"account_login", "account_logout", "account_inactive"}
    password_reset = {
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
    }
    # Confirming an address happens before a session has a user.
    email_confirmation = {"account_confirm_email", "account_email_verification_sent"}
    # The MFA pages guard themselves.
    mfa = {"mfa_authenticate", "mfa_reauthenticate", "mfa_activate_totp", "mfa-invitation", "mfa-setup-needed"}
    assert health_check | signing_in_and_out | password_reset | email_confirmation | mfa == MFA_EXEMPT_URL_NAMES


def test_every_view_marked_privileged_is_gated_for_every_account_without_mfa():
    marked = {
        name: permission
        for _, name, pattern in _walk(get_resolver().url_patterns)
        if (permission := view_privileged_permission(pattern.callback))
    }
    assert marked, "The researchers' export views carry the privileged marker"
    assert set(marked.values()) <= registered_permissions()
    for name in marked:
        assert ROUTES[name].expect[len(ROLES) - len(NO_MFA_ROLES) :] == RESEARCH_GATED, name


class World:
    """One of everything the URLs point at, owned by the 'owner' member."""

    def __init__(self, tmp_path, settings):
        settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
        self.owner = MemberFactory(consent_digest=True)
        self.other = MemberFactory()
        self.pending = MemberFactory(status=Member.Status.PENDING)
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.researcher = UserFactory()
        self.researcher.groups.add(researcher_group())
        self.staff_no_mfa = UserFactory(is_staff=True)
        self.superuser_no_mfa = UserFactory(is_superuser=True)
        totp_enrol(self.superuser_no_mfa)
        self.researcher_no_mfa = UserFactory()
        self.researcher_no_mfa.groups.add(researcher_group())
        AppointmentFactory(member=self.owner, council=self.owner.council)
        stored = uploads.store_bytes(files.pdf("Motion"), display_name="motion.pdf", folder="commitments")
        self.commitment = Commitment.objects.create(
            council=self.owner.council, kind="motion", summary="Signed the Challenge", happened_on=timezone.localdate(),
            evidence_file=stored.name, evidence_file_name=stored.display_name, status="verified",
            verified_at=timezone.now(),
        )  # fmt: skip
        self.research_project = ResearchProjectFactory()
        self.research_project.researchers.add(self.researcher, self.staff)

        self.meeting = MeetingFactory()
        registration = RegistrationFactory(meeting=self.meeting, user=self.owner.user)
        stored = uploads.store_bytes(files.pdf("Agenda"), display_name="agenda.pdf", folder="papers")
        self.paper = Paper.objects.create(
            meeting=self.meeting, title="Agenda pack", file=stored.name, file_name=stored.display_name
        )
        self.feed = CalendarFeed.objects.create(user=self.owner.user)
        self.meeting_feedback_token = make_token(obj=registration, purpose=meeting_services.FEEDBACK_PURPOSE)

        self.session = SessionFactory()
        self.booking = BookingFactory(session=self.session, member=self.owner)
        self.past_booking = BookingFactory(
            session=past_session(days_ago=100), member=self.owner, attended=Booking.Attended.YES
        )
        self.training_feedback_token = make_token(obj=self.past_booking, purpose=training_services.FEEDBACK_PURPOSE)
        self.followup_token = make_token(obj=self.past_booking, purpose=training_services.followup_purpose("3m"))
        self.certificate_token = make_token(obj=self.past_booking, purpose=training_services.CERTIFICATE_PURPOSE)

        reconfirmation = Reconfirmation.objects.create(
            member=self.owner, requested_at=timezone.now(), deadline=timezone.now() + timezone.timedelta(days=28)
        )
        self.reconfirm_token = make_token(obj=reconfirmation, purpose=member_services.RECONFIRM_PURPOSE)

        self.resource = ResourceFactory(visibility=Resource.Visibility.MEMBERS)
        self.update = UpdateFactory()
        self.unsubscribe_token = make_token(obj=self.owner, purpose=resource_services.DIGEST_UNSUBSCRIBE_PURPOSE)
        self.news_unsubscribe_token = make_token(obj=self.owner, purpose=member_services.NEWS_UNSUBSCRIBE_PURPOSE)
        stored = uploads.store_bytes(files.pdf("Case"), display_name="case.pdf", folder="casestudies")
        self.case_study = CaseStudyFactory(
            submitter=self.owner.user, council=self.owner.council, file=stored.name, file_name=stored.display_name
        )

    def user(self, role):
        return {
            "anonymous": None,
            "pending": self.pending.user,
            "owner": self.owner.user,
            "other": self.other.user,
            "staff": self.staff,
            "researcher": self.researcher,
            "staff_no_mfa": self.staff_no_mfa,
            "superuser_no_mfa": self.superuser_no_mfa,
            "researcher_no_mfa": self.researcher_no_mfa,
        }[role]

    def sign_in(self, client, role) -> None:
        user = self.user(role)
        if role in NO_MFA_ROLES:
            force_login_without_mfa(client, user)
        elif user is not None:
            client.force_login(user)


@pytest.fixture
def world(tmp_path, settings, london_councils):
    return World(tmp_path, settings)


def _outcome(response):
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(reverse("account_login")):
        return LOGIN
    if response.status_code == 302 and location.startswith(
        (reverse("mfa_reauthenticate"), reverse("mfa-setup-needed"))
    ):
        return MFA
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(world, role):
    client = Client()
    world.sign_in(client, role)
    wrong = {}
    for name, route in ROUTES.items():
        expected = route.expect[ROLES.index(role)]
        got = _outcome(client.get(route.url(world)))
        if got != expected:
            wrong[name] = f"expected {expected}, got {got}"
    assert not wrong, f"{role}: " + "; ".join(f"{name}: {why}" for name, why in wrong.items())


def _admin_url(route: str) -> str:
    """A concrete path for an admin pattern: ids that need not exist, and the
    members app for the regex app-index and catch-all routes."""
    path = re.sub(r"<[^>]+>", "1", route)
    if "(" in path or "^" in path:
        path = re.split(r"[(^]", path)[0] + "members/"
    return "/" + path


def test_every_admin_route_is_staff_only(world):
    admin_routes = [(route, name) for route, name, _ in _walk(get_resolver().url_patterns) if _is_admin(route)]
    assert len(admin_routes) > 50
    clients = {}
    for role in ("anonymous", "owner", "researcher", "staff", *NO_MFA_ROLES):
        clients[role] = Client()
        world.sign_in(clients[role], role)
    admin_login = reverse("admin:login")
    problems = []
    for route, name in admin_routes:
        url = _admin_url(route)
        for role, client in clients.items():
            response = client.get(url)
            location = response.get("Location", "")
            if role in ("staff_no_mfa", "superuser_no_mfa"):
                if _outcome(response) != MFA:
                    problems.append(f"{name} {url}: {role} without MFA got {response.status_code} {location}")
            elif role == "staff":
                # 403 where the model admin allows no adding or deleting (append-only records).
                if response.status_code >= 500 or "login" in location:
                    problems.append(f"{name} {url}: staff got {response.status_code} {location}")
            elif name in {"admin:login", "admin:logout"}:
                if response.status_code not in {302, 403, 405}:
                    problems.append(f"{name} {url}: {role} got {response.status_code}")
            elif not (response.status_code == 302 and location.startswith(admin_login)):
                problems.append(f"{name} {url}: {role} got {response.status_code} {location}")
    assert not problems, "\n".join(problems)


def test_another_member_gets_404_when_acting_on_someone_elses_booking_or_registration(world):
    client = Client()
    client.force_login(world.other.user)
    feedback = {"rating": "excellent"}
    assert client.post(reverse("training:booking-cancel", args=[world.booking.pk])).status_code == 404
    assert client.post(reverse("training:feedback", args=[world.past_booking.pk]), feedback).status_code == 404
    assert client.post(reverse("meetings:cancel", args=[world.meeting.slug])).status_code == 404
    world.booking.refresh_from_db()
    assert world.booking.status == Booking.Status.CONFIRMED
    registration = world.owner.user.meeting_registrations.get(meeting=world.meeting)
    assert registration.status == Registration.Status.REGISTERED
    assert not Feedback.objects.filter(booking=world.past_booking).exists()
