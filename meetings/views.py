from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from members.access import approved_member_required, is_approved_member, membership_refused
from members.models import Member
from network_portal import caching, door_register, fragments, uploads
from network_portal.http_caching import public_page
from network_portal.ics import ics_response
from network_portal.ratelimit import rate_limit
from network_portal.signing import InvalidLink, invalid_link_response, read_token

from . import calendar, door, services
from .forms import FeedbackForm, RegistrationForm
from .models import Action, CalendarFeed, Feedback, Meeting, Paper, Registration

UPCOMING_LIMIT = 12
PAST_PER_PAGE = 12


@public_page
def meeting_list(request):
    context = {
        # Read only when the cached lists are rendered afresh.
        "lists": SimpleLazyObject(lambda: _lists(request)),
        "list_key": _list_key(request),
        "fragment_seconds": caching.fragment_seconds(),
    }
    return render(request, "meetings/list.html", context)


def _lists(request) -> dict:
    now = timezone.now()
    visible = Meeting.objects.visible()
    upcoming = list(visible.upcoming(now).with_counts()[:UPCOMING_LIMIT])
    past = Paginator(visible.past(now), PAST_PER_PAGE).get_page(request.GET.get("page"))
    shown = [m.pk for m in upcoming] + [m.pk for m in past]
    mine = {r.meeting_id: r for r in Registration.objects.for_user(request.user).active().filter(meeting__in=shown)}
    for meeting in [*upcoming, *past]:
        meeting.my_registration = mine.get(meeting.pk)
    return {"upcoming": _by_quarter(upcoming), "past": _by_quarter(past), "past_page": past}


def _list_key(request) -> str:
    """What the rendered lists depend on. Meeting and registration services bump the
    MEETING_LIST version; the visitor's own registrations make the lists theirs; by
    the clock alone, a meeting moves to the past list when it ends."""
    user = request.user
    version = caching.version(caching.MEETING_LIST)
    next_end = caching.next_change(caching.key_for("meetings:next-end", version), Meeting.objects.visible().next_end)
    visitor = user.pk if user.is_authenticated else "anonymous"
    return f"{version}:{next_end}:{visitor}:{user.is_staff}:{request.GET.get('page', '')}"


# What a meeting's page shows: the meeting and its registrations, its papers and actions
# with the people named, and councils. The services writing them bump these versions.
PAGE_VERSIONS = (caching.MEETING_LIST, caching.MEETING_PAGE, caching.FILTER_CHOICES)


@public_page
@fragments.kept_sections
def meeting_detail(request, slug):
    meeting, head, registration = _meeting_and_place(slug, request.user)
    if meeting is None or not (meeting.is_visible or request.user.is_staff):
        raise Http404("No such meeting.")  # drafts exist only for staff, who preview them
    is_member = is_approved_member(request.user)
    context = {
        "meeting": meeting,
        "head": head,
        "registration": registration,
        "is_member": is_member,
        "seats_left": _seats_left(meeting),
        "waitlist_position": registration and services.registration_waitlist_position(registration=registration),
        "body": _body(request, meeting, is_member),
    }
    return render(request, "meetings/detail.html", context)


def _meeting_and_place(slug, user) -> tuple[Meeting | None, str, Registration | None]:
    """The meeting with its counts and the head of its page, the same for every visitor,
    and the visitor's active registration, kept per member: read together with their
    versions in one round trip."""
    entries = [(caching.key_for("meetings:meeting-with-head", slug), PAGE_VERSIONS, lambda: _meeting_with_head(slug))]
    if user.is_authenticated:
        place_key = caching.key_for("meetings:place", slug, user.pk)
        entries.append((place_key, PAGE_VERSIONS, lambda: _my_registration(slug, user)))
    kept, *place = caching.versioned_many(entries)
    meeting, head = kept or (None, "")
    registration = place[0] if place else None
    if registration:
        registration.meeting = meeting  # already loaded, with its counts
    return meeting, mark_safe(head), registration  # noqa: S308 - rendered from our template  # nosec B308, B703


def _meeting_with_head(slug) -> tuple[Meeting, str] | None:
    meeting = Meeting.objects.with_counts().filter(slug=slug).first()
    if meeting is None:
        return None
    return meeting, render_to_string("meetings/_detail_head.html", {"meeting": meeting})


def _my_registration(slug, user) -> Registration | None:
    return Registration.objects.active().filter(meeting__slug=slug, user_id=user.pk).first()


def _body(request, meeting, is_member) -> str:
    """The agenda, papers, minutes and actions: the same for everyone in an audience (members
    see every paper and the actions), so kept per meeting and audience on PAGE_VERSIONS, and
    until the meeting ends, when the minutes show and the actions carried forward go. Read
    with the page's other kept sections once it is rendered (fragments.kept_sections)."""
    signed_in = request.user.is_authenticated
    audience = "member" if is_member else "signed-in" if signed_in else "anonymous"
    key = caching.key_for("meetings:body", meeting.pk, audience)

    def build():
        values = {"meeting": meeting, "is_member": is_member, "signed_in": signed_in}
        values["papers"] = list(meeting.papers.visible_to(request.user))
        values["actions"] = list(meeting.actions.select_related("owner", "council")) if is_member else []
        carried = is_member and not meeting.has_ended
        values["carried_forward"] = list(Action.objects.carried_forward_to(meeting)) if carried else []
        return values, None if meeting.has_ended else meeting.ends_at

    return fragments.render_kept({"request": request}, key, PAGE_VERSIONS, "meetings/_detail_body.html", build)


def meeting_ics(request, slug):
    meeting = _visible_meeting(request, slug, Meeting.objects.all())
    registration = _active_registration(request.user, meeting)
    content = calendar.meeting_ics(meeting, include_joining=bool(registration and registration.sees_joining_link))
    return ics_response(content, filename=f"{meeting.slug}.ics")


@approved_member_required
@rate_limit("registration")
def register(request, slug):
    meeting = get_object_or_404(Meeting.objects.published().with_counts(), slug=slug)
    if not meeting.is_open_for_registration or _active_registration(request.user, meeting):
        messages.info(request, _not_open_message(meeting, request.user))
        return redirect(meeting)
    form = RegistrationForm(request.POST or None, meeting=meeting, seats_left=_seats_left(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_create(meeting_id=meeting.pk, user=request.user, **form.service_kwargs)
        except services.RegistrationRefused as refusal:
            messages.error(request, refusal.message)
            if not refusal.in_person_full:
                return redirect(meeting)
            # Someone took the last seat meanwhile: offer the waiting list or online.
            form = RegistrationForm(meeting=meeting, seats_left=0)
        else:
            messages.success(request, _registered_message(registration))
            return redirect(meeting)
    return render(request, "meetings/register.html", {"meeting": meeting, "form": form})


@require_POST
@login_required
def cancel(request, slug):
    registration = get_object_or_404(Registration.objects.for_user(request.user).active(), meeting__slug=slug)
    try:
        services.registration_cancel(registration_id=registration.pk)
    except services.RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Your registration is cancelled. You can register again while registration is open.")
    return redirect("meetings:detail", slug=slug)


def paper_download(request, slug, pk):
    paper = get_object_or_404(Paper.objects.select_related("meeting").exclude(file=""), pk=pk, meeting__slug=slug)
    _visible_meeting(request, slug, Meeting.objects.filter(pk=paper.meeting_id))
    if not paper.is_public and not is_approved_member(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return membership_refused(request)
    return uploads.download_response(file=paper.file, display_name=paper.file_name)


@rate_limit("feedback")
def feedback(request, token):
    try:
        registration = read_token(
            token, purpose=services.FEEDBACK_PURPOSE, queryset=Registration.objects.select_related("meeting")
        )
    except InvalidLink:
        return invalid_link_response(request)
    if Feedback.objects.filter(registration=registration).exists():
        return render(request, "meetings/feedback_thanks.html", {"meeting": registration.meeting})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(registration_id=registration.pk, **form.cleaned_data)
        except services.FeedbackRefused as refusal:
            messages.info(request, refusal.message)
            return redirect(registration.meeting)
        return redirect("meetings:feedback", token=token)
    return render(request, "meetings/feedback.html", {"meeting": registration.meeting, "form": form})


@staff_member_required
def door_register_page(request, slug):
    meeting = get_object_or_404(Meeting, slug=slug)
    query = request.GET.get("q", "").strip()[:100]
    context = door_register.page_context(
        title=meeting.title,
        when=meeting.starts_at,
        people=door.people(meeting),
        query=query,
        candidates=door.candidates(meeting, query),
        mark_url=lambda registration_pk: reverse("meetings:door-mark", args=[meeting.slug, registration_pk]),
        walk_in_url=reverse("meetings:door-walk-in", args=[meeting.slug]),
        note="This meeting was cancelled." if meeting.is_cancelled else "",
    )
    return render(request, "network_portal/door_register.html", context)


@require_POST
@staff_member_required
def door_mark(request, slug, registration_pk):
    registration = get_object_or_404(
        Registration.objects.registered().select_related("user"), pk=registration_pk, meeting__slug=slug
    )
    form = door_register.MarkForm(request.POST)
    register_url = reverse("meetings:door-register", args=[slug])
    if not form.is_valid():
        return door_register.back_to_register(request, register_url, message="Choose attended or no-show.", error=True)
    state = form.cleaned_data["state"]
    services.registration_mark_attendance(registration_ids=[registration.pk], attendance=door.ATTENDANCE_VALUES[state])
    return door_register.back_to_register(
        request, register_url, query=form.cleaned_data["q"], anchor=f"person-{registration.pk}",
        message=f"{registration.user}: {door_register.STATE_LABELS[state].lower()}.",
    )  # fmt: skip


@require_POST
@staff_member_required
def door_walk_in(request, slug):
    meeting = get_object_or_404(Meeting, slug=slug)
    form = door_register.WalkInForm(request.POST)
    if not form.is_valid():
        raise Http404("No such member.")
    approved = Member.objects.approved().active().select_related("user")
    member = get_object_or_404(approved, pk=form.cleaned_data["member"])
    register_url = reverse("meetings:door-register", args=[slug])
    try:
        registration = services.registration_add_walk_in(meeting_id=meeting.pk, user=member.user)
    except services.RegistrationRefused as refusal:
        return door_register.back_to_register(request, register_url, query=form.cleaned_data["q"],
                                              message=refusal.message, error=True)  # fmt: skip
    return door_register.back_to_register(
        request, register_url, anchor=f"person-{registration.pk}", message=f"{member} added as a walk-in: attended."
    )


@staff_member_required
def feedback_summary(request, slug):
    meeting = get_object_or_404(Meeting.objects.with_counts(), slug=slug)
    responses = Feedback.objects.filter(registration__meeting=meeting)
    context = {
        "meeting": meeting,
        "summary": responses.summary(),
        "topics": responses.exclude(topics_next_time="").values_list("topics_next_time", flat=True),
        "comments": responses.exclude(comments="").values_list("comments", flat=True),
        "surveyed": Registration.objects.survey_recipients(meeting).count(),
    }
    return render(request, "meetings/feedback_summary.html", context)


def calendar_feed(request, token):
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token, user__is_active=True)
    return ics_response(calendar.feed_calendar(feed.user), filename="network-calendar.ics", attachment=False)


@require_POST
@login_required
def calendar_regenerate(request):
    had_feed = CalendarFeed.objects.filter(user=request.user).exists()
    services.calendar_feed_regenerate(user=request.user)
    if had_feed:
        messages.success(request, "You have a new calendar address. The old one no longer works: update your calendar.")
    else:
        messages.success(request, "Your personal calendar address is ready. Add it to your calendar app.")
    return redirect(f"{reverse('members:account')}#my-meetings")


def _visible_meeting(request, slug, queryset):
    """Drafts exist only for staff, who preview them before publishing."""
    if not request.user.is_staff:
        queryset = queryset.visible()
    return get_object_or_404(queryset, slug=slug)


def _active_registration(user, meeting):
    registration = Registration.objects.for_user(user).active().filter(meeting=meeting).first()
    if registration:
        registration.meeting = meeting  # already loaded, with its counts
    return registration


def _seats_left(meeting) -> int | None:
    if meeting.in_person_capacity is None:
        return None
    return max(meeting.in_person_capacity - meeting.in_person_count, 0)


def _by_quarter(meetings) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for meeting in meetings:
        groups.setdefault(meeting.quarter_label, []).append(meeting)
    return list(groups.items())


def _not_open_message(meeting, user) -> str:
    if _active_registration(user, meeting):
        return "You are already registered for this meeting."
    if meeting.starts_at <= timezone.now():
        return "This meeting has already taken place."
    return "Registration for this meeting has closed."


def _registered_message(registration) -> str:
    if registration.is_waitlisted:
        return "You are on the in-person waiting list. We will email you if a place comes up."
    return f"You are registered to attend {registration.get_mode_display().lower()}. We have emailed you the details."
