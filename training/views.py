from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from members.access import approved_member_required
from members.models import Council, Member
from network_portal import audit, caching, door_register, ics, uploads
from network_portal.csv_export import csv_response
from network_portal.http_caching import public_page
from network_portal.privileges import privileged_permission_required
from network_portal.ratelimit import rate_limit
from network_portal.signing import InvalidLink, invalid_link_response, read_token

from . import charts, door, reports, services
from . import outcomes as training_outcomes
from .forms import (
    CommitmentForm,
    FeedbackForm,
    FollowUpForm,
    OutcomeFilterForm,
    ResearchFilterForm,
    SessionFilterForm,
)
from .models import Booking, Commitment, Course, Feedback, FollowUp, ResearchExportLog, ResearchProject, Session

SESSIONS_PER_PAGE = 20
COVERAGE_CSV_COLUMNS = [
    "gss_code",
    "council",
    "sessions_delivered",
    "councillors_trained",
    "councillor_seats",
    "seats_since",
    "percent_of_seats",
]


@public_page
def index(request):
    form = SessionFilterForm(request.GET or None)
    versions = caching.versions(caching.TRAINING_LIST, caching.FILTER_CHOICES)
    context = {
        "form": form,
        # Read only when the cached list below is rendered afresh.
        "page": SimpleLazyObject(lambda: _sessions_page(request, form)),
        "courses": Course.objects.all(),
        "testimonials": caching.cached(caching.TESTIMONIALS, _testimonials),
        "query": _query_without_page(request),
        "versions": versions,
        "sessions_key": _sessions_key(request, versions),
        "fragment_seconds": caching.fragment_seconds(),
    }
    return render(request, "training/index.html", context)


def _sessions_page(request, form):
    sessions = form.filter(Session.objects.upcoming().with_counts().select_related("course", "council"))
    return Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))


def _sessions_key(request, versions: str) -> str:
    """What the filter form and session list depend on. Writes to sessions, bookings,
    courses and councils bump the TRAINING_LIST and FILTER_CHOICES versions; by the
    clock alone, the list changes when its first session starts, and the form's
    months when the date changes."""
    first_start = caching.next_change(
        caching.key_for("training:first-start", versions), lambda: Session.objects.upcoming().first_start()
    )
    return f"{versions}:{first_start}:{timezone.localdate()}:{request.GET.urlencode()}"


@public_page
def course_detail(request, slug):
    course = get_object_or_404(Course, slug=slug)
    sessions = course.sessions.upcoming().with_counts().select_related("council")
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "training/course_detail.html", {"course": course, "page": page})


@public_page
def session_detail(request, pk):
    session, booking = _session_and_booking(pk, request.user)
    if session is None:
        raise Http404("No such session.")
    context = {
        "session": session,
        "booking": booking,
        "position": services.waitlist_position(booking) if booking else None,
        "can_see_joining_link": booking is not None and booking.status == Booking.Status.CONFIRMED,
        "is_upcoming": session.starts_at > timezone.now(),
    }
    return render(request, "training/session_detail.html", context)


def _session_and_booking(pk, user) -> tuple[Session | None, Booking | None]:
    """The session with its seat counts, course and council, the same for every visitor,
    and the member's active booking for it, kept per member: read in one round trip with
    the versions that every write to sessions, courses, councils and bookings bumps
    (MY_TRAINING follows any booking saved, deleted or updated in bulk)."""
    names = (caching.TRAINING_LIST, caching.FILTER_CHOICES, caching.MY_TRAINING)
    entries = [(caching.key_for("training:session", pk), names, lambda: _listed_session(pk))]
    member = getattr(user, "member", None) if user.is_authenticated else None
    if member is not None:
        booking_key = caching.key_for("training:my-booking", pk, member.pk)
        entries.append((booking_key, names, lambda: _my_active_booking(user, pk)))
    session, *booking = caching.versioned_many(entries)
    return session, booking[0] if booking else None


def _listed_session(pk) -> Session | None:
    return Session.objects.listed().with_counts().select_related("course", "council").filter(pk=pk).first()


@require_POST
@approved_member_required
@rate_limit("booking")
def session_book(request, pk):
    session = get_object_or_404(Session.objects.listed(), pk=pk)
    member = getattr(request.user, "member", None)
    if member is None:
        messages.error(request, "Your login has no network membership, so it cannot book. Staff book members in admin.")
        return redirect(session)
    try:
        booking = services.booking_create(member=member, session=session)
    except services.BookingRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if booking.status == Booking.Status.CONFIRMED:
            messages.success(request, "Your place is booked. We have emailed you the details.")
        else:
            messages.success(
                request, "The session is full, so you are on the waiting list. We will email you if a place comes up."
            )
    return redirect(session)


@require_POST
@login_required
def booking_cancel(request, pk):
    booking = get_object_or_404(Booking.objects.select_related("session"), pk=pk, member__user=request.user)
    try:
        services.booking_cancel(booking=booking)
    except services.BookingRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Your booking is cancelled.")
    return redirect(booking.session)


@require_POST
@login_required
def testimonial_withdraw(request, pk):
    feedback = get_object_or_404(Feedback, pk=pk, booking__member__user=request.user)
    services.testimonial_withdraw(feedback=feedback)
    messages.success(request, "Your testimonial is withdrawn. It will not appear on the website.")
    return redirect("members:account")


def session_ics(request, pk):
    session = get_object_or_404(Session.objects.listed().select_related("course", "council"), pk=pk)
    booking = _my_active_booking(request.user, session.pk)
    confirmed = booking is not None and booking.status == Booking.Status.CONFIRMED
    event = services.session_calendar_event(session, with_joining_link=confirmed)
    return ics.ics_response(ics.calendar_for([event]), filename=f"training-session-{session.pk}.ics")


@rate_limit("feedback")
def feedback_by_link(request, token):
    try:
        booking = read_token(token, purpose=services.FEEDBACK_PURPOSE, queryset=_bookings_for_forms())
    except InvalidLink:
        return invalid_link_response(request)
    return _feedback_page(request, booking)


@login_required
@rate_limit("feedback")
def feedback_logged_in(request, pk):
    return _feedback_page(request, get_object_or_404(_bookings_for_forms(), pk=pk, member__user=request.user))


@rate_limit("feedback")
def followup_by_link(request, wave, token):
    _check_wave(wave)
    try:
        booking = read_token(token, purpose=services.followup_purpose(wave), queryset=_bookings_for_forms())
    except InvalidLink:
        return invalid_link_response(request)
    return _followup_page(request, booking, wave)


@login_required
@rate_limit("feedback")
def followup_logged_in(request, pk, wave):
    _check_wave(wave)
    return _followup_page(request, get_object_or_404(_bookings_for_forms(), pk=pk, member__user=request.user), wave)


@login_required
def certificate(request, pk):
    booking = get_object_or_404(_bookings_for_forms(), pk=pk, member__user=request.user)
    try:
        certificate = services.certificate_for(booking)
    except services.FeedbackRefused as refusal:
        return render(request, "training/refused.html", {"message": refusal.message}, status=403)
    return render(request, "training/certificate.html", {"certificate": certificate})


def certificate_verify(request, token):
    try:
        certificate = services.certificate_verify(token)
    except InvalidLink:
        # The same status as every other invalid signed link (network_portal.signing).
        return render(request, "training/certificate_invalid.html", status=400)
    return render(request, "training/certificate_verify.html", {"certificate": certificate})


@public_page
def coverage(request):
    rows = reports.council_coverage()
    context = {
        "rows": rows,
        "london": reports.london_coverage(),
        "bands": reports.coverage_bands(),
        "grid": charts.tile_grid(rows),
    }
    return render(request, "training/coverage.html", context)


def coverage_csv(request):
    london = reports.london_coverage()
    rows = [
        [row.council.gss_code, row.council.name, row.sessions_delivered, row.councillors_trained,
         row.council.councillor_seats, row.council.seats_since, row.percent_of_seats]
        for row in reports.council_coverage()
    ]  # fmt: skip
    rows.append(["", "London", "", london.councillors_trained, london.seats, "", london.percent_of_seats])
    return csv_response(filename="training-coverage.csv", header=COVERAGE_CSV_COLUMNS, rows=rows)


@staff_member_required
def dashboard(request):
    headline, confidence = reports.feedback_summary()
    context = {
        "by_course": reports.ratings_by_course(),
        "by_session": reports.ratings_by_session(),
        "turnout": reports.turnout_by_council(),
        "followups": reports.followup_outcomes(),
        "confidence": confidence,
        "headline": headline,
    }
    context["area_rows"] = [
        (value, label, [wave.by_area[value] for wave in context["followups"]])
        for value, label in FollowUp.PolicyArea.choices
    ]
    context["charts"] = charts.dashboard_charts(context)
    return render(request, "training/dashboard.html", context)


@approved_member_required
def commitment_report(request, slug):
    council = get_object_or_404(Council, slug=slug)
    member = getattr(request.user, "member", None)
    if services.commitment_reporter_source(member=member, council=council) is None:
        message = f"Only {council}'s member champions and lead officer can report its commitments."
        return render(request, "training/refused.html", {"message": message}, status=403)
    form = CommitmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_report(
                member=member, council=council, answers=form.cleaned_data, upload=form.cleaned_data["evidence_file"]
            )
        except services.CommitmentRefused as refusal:
            return render(request, "training/refused.html", {"message": refusal.message}, status=403)
        messages.success(request, "Thank you. Staff will check the evidence, then it appears on the council's page.")
        return redirect(council)
    status = 200 if request.method == "GET" else 400
    return render(request, "training/commitment_form.html", {"form": form, "council": council}, status=status)


def commitment_evidence(request, pk):
    commitment = get_object_or_404(Commitment.objects.exclude(evidence_file=""), pk=pk)
    # Verified entries are public record; a reported one is seen only by staff until checked.
    if commitment.status != Commitment.Status.VERIFIED and not request.user.is_staff:
        raise Http404("No such evidence.")
    return uploads.download_response(file=commitment.evidence_file, display_name=commitment.evidence_file_name)


@staff_member_required
def outcomes(request):
    form = _outcome_form(request)
    if not form.is_valid():
        return render(request, "training/outcomes.html", {"form": form}, status=400)
    figures = training_outcomes.outcomes_for(**form.cleaned_data)
    return render(
        request, "training/outcomes.html", {"form": form, "figures": figures, "query": request.GET.urlencode()}
    )


@staff_member_required
def outcomes_csv(request, table):
    form = _outcome_form(request)
    if table not in OUTCOME_TABLES or not form.is_valid():
        raise Http404("No such table.")
    header, rows_for = OUTCOME_TABLES[table]
    rows = rows_for(training_outcomes.outcomes_for(**form.cleaned_data))
    return csv_response(filename=f"training-outcomes-{table}.csv", header=header, rows=rows)


def _outcome_form(request):
    today = timezone.localdate()
    defaults = {"start": today.replace(year=today.year - 1).isoformat(), "end": today.isoformat()}
    return OutcomeFilterForm({**defaults, **request.GET.dict()})


def _shown(value, digits=2):
    return "" if value is None else round(value, digits)


OUTCOME_TABLES = {
    "confidence": (
        ["measure", "n", "mean_change", "ci95_low", "ci95_high"],
        lambda f: [[c.label, c.n, _shown(c.mean), _shown(c.low), _shown(c.high)] for c in f.confidence],
    ),
    "policy-influence": (
        ["follow_up", "due", "responses", "response_rate_percent", "influenced", "influenced_percent"],
        lambda f: [
            [
                i.wave_label,
                i.eligible,
                i.responses,
                _shown(i.response_rate),
                i.influenced if i.shown else "",
                _shown(i.percent),
            ]
            for i in f.influence
        ],  # fmt: skip
    ),
    "council-changes": (
        ["council", "gss_code", "entry_type", "service_area", "summary", "date"],
        lambda f: [
            [
                c.council.name,
                c.council.gss_code,
                c.get_kind_display(),
                c.get_service_area_display(),
                c.summary,
                c.happened_on,
            ]
            for c in f.commitments
        ],  # fmt: skip
    ),
}


@staff_member_required
def door_register_page(request, pk):
    session = get_object_or_404(Session.objects.select_related("course", "council"), pk=pk)
    query = request.GET.get("q", "").strip()[:100]
    note = "" if session.starts_at <= timezone.now() else "Attendance can be recorded once the session starts."
    context = door_register.page_context(
        title=f"{session.course.title} ({session.place_label})",
        when=session.starts_at,
        people=door.people(session),
        query=query,
        candidates=door.candidates(session, query),
        mark_url=lambda booking_pk: reverse("training:door-mark", args=[session.pk, booking_pk]),
        walk_in_url=reverse("training:door-walk-in", args=[session.pk]),
        note=note,
    )
    return render(request, "network_portal/door_register.html", context)


@require_POST
@staff_member_required
def door_mark(request, pk, booking_pk):
    booking = get_object_or_404(
        Booking.objects.confirmed().select_related("member__user"), pk=booking_pk, session_id=pk, member__isnull=False
    )
    form = door_register.MarkForm(request.POST)
    register_url = reverse("training:door-register", args=[pk])
    if not form.is_valid():
        return door_register.back_to_register(request, register_url, message="Choose attended or no-show.", error=True)
    query, state = form.cleaned_data["q"], form.cleaned_data["state"]
    updated = services.booking_mark_attendance(booking_ids=[booking.pk], attended=door.ATTENDED_VALUES[state])
    message = f"{booking.member}: {door_register.STATE_LABELS[state].lower()}."
    if not updated:
        message = services.ATTENDANCE_NOT_OPEN
    return door_register.back_to_register(
        request, register_url, query=query, anchor=f"person-{booking.pk}", message=message, error=not updated
    )


@require_POST
@staff_member_required
def door_walk_in(request, pk):
    session = get_object_or_404(Session, pk=pk)
    form = door_register.WalkInForm(request.POST)
    if not form.is_valid():
        raise Http404("No such member.")
    approved = Member.objects.approved().active().select_related("user")
    member = get_object_or_404(approved, pk=form.cleaned_data["member"])
    register_url = reverse("training:door-register", args=[pk])
    try:
        booking = services.booking_add_walk_in(member=member, session=session, booked_by=request.user)
    except services.BookingRefused as refusal:
        return door_register.back_to_register(request, register_url, query=form.cleaned_data["q"],
                                              message=refusal.message, error=True)  # fmt: skip
    return door_register.back_to_register(
        request, register_url, anchor=f"person-{booking.pk}", message=f"{member} added as a walk-in: attended."
    )


@privileged_permission_required("training.export_research")
def research(request):
    projects = list(ResearchProject.objects.for_researcher(request.user))
    # Only the researcher's own projects' downloads, and never anyone else's address.
    logs = ResearchExportLog.objects.filter(project__in=projects).select_related("project")[:20]
    context = {"projects": projects, "logs": logs, "form": ResearchFilterForm(), "today": timezone.localdate()}
    return render(request, "training/research.html", context)


@privileged_permission_required("training.export_research")
def research_package(request, pk):
    project = get_object_or_404(ResearchProject.objects.for_researcher(request.user), pk=pk)
    if project.has_expired():
        message = f"The data-sharing agreement for {project} expired on {project.expires_on:%-d %B %Y}."
        return render(request, "training/refused.html", {"message": message}, status=403)
    form = ResearchFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "training/research.html", {"form": form, "projects": [project]}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    content = services.research_package_download(
        project=project,
        course=filters.get("course", ""),
        year=filters.get("year", ""),
        audit_facts=audit.request_facts(request),
    )
    response = HttpResponse(content, content_type="application/zip")
    filename = f"research-{project.pk}-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- helpers ----------------------------------------------------------------


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return f"{query.urlencode()}&" if query else ""


def _testimonials() -> list[Feedback]:
    # Cached: planning this six-table join cost more than the rest of the page.
    return list(
        Feedback.objects.publishable_testimonials().select_related(
            "booking__member__user", "booking__member__council", "booking__council"
        )[:3]
    )


def _my_active_booking(user, session_pk: int) -> Booking | None:
    # The member came with the user (members.auth_backends), so no join is needed;
    # the queue place is counted only for the few who wait.
    member = getattr(user, "member", None) if user.is_authenticated else None
    if member is None:
        return None
    return Booking.objects.active().filter(session_id=session_pk, member_id=member.pk).first()


def _bookings_for_forms():
    return Booking.objects.select_related("session__course", "session__council", "member__user")


def _check_wave(wave: str) -> None:
    if wave not in FollowUp.Wave.values:
        raise Http404("No such follow-up.")


def _feedback_page(request, booking):
    try:
        services.feedback_check(booking)
    except services.FeedbackRefused as refusal:
        return render(request, "training/refused.html", {"message": refusal.message}, status=403)
    if Feedback.objects.filter(booking=booking).exists():
        return render(request, "training/feedback_done.html", {"booking": booking, "already": True})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(booking=booking, answers=form.cleaned_data)
        except services.FeedbackRefused as refusal:
            return render(request, "training/refused.html", {"message": refusal.message}, status=409)
        return render(request, "training/feedback_done.html", {"booking": booking})
    status = 200 if request.method == "GET" else 400
    return render(request, "training/feedback_form.html", {"booking": booking, "form": form}, status=status)


def _followup_page(request, booking, wave):
    try:
        services.followup_check(booking, wave)
    except services.FeedbackRefused as refusal:
        return render(request, "training/refused.html", {"message": refusal.message}, status=403)
    if FollowUp.objects.filter(booking=booking, wave=wave).exists():
        return render(request, "training/feedback_done.html", {"booking": booking, "already": True, "followup": True})
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_submit(booking=booking, wave=wave, answers=form.cleaned_data)
        except services.FeedbackRefused as refusal:
            return render(request, "training/refused.html", {"message": refusal.message}, status=409)
        return render(request, "training/feedback_done.html", {"booking": booking, "followup": True})
    context = {"booking": booking, "form": form, "wave_label": FollowUp.Wave(wave).label}
    return render(request, "training/followup_form.html", context, status=200 if request.method == "GET" else 400)
