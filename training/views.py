from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from members.access import approved_member_required
from network_portal import audit, caching, ics
from network_portal.csv_export import csv_response
from network_portal.http_caching import public_page
from network_portal.ratelimit import rate_limit
from network_portal.signing import InvalidLink, invalid_link_response, read_token

from . import charts, reports, services
from .forms import FeedbackForm, FollowUpForm, SessionFilterForm
from .models import Booking, Course, Feedback, FollowUp, ResearchExportLog, Session

SESSIONS_PER_PAGE = 20
COVERAGE_CSV_COLUMNS = [
    "gss_code",
    "council",
    "sessions_delivered",
    "councillors_trained",
    "councillor_seats",
    "percent_of_seats",
]


@public_page
def index(request):
    form = SessionFilterForm(request.GET or None)
    sessions = form.filter(Session.objects.upcoming().with_counts().select_related("course", "council"))
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "courses": Course.objects.all(),
        "testimonials": _testimonials(),
        "query": _query_without_page(request),
        "sessions_key": _sessions_key(request, page),
        "fragment_seconds": caching.fragment_seconds(),
    }
    return render(request, "training/index.html", context)


def _sessions_key(request, page) -> str:
    """What the filter form and session list depend on besides the sessions, courses and
    councils, whose changes bump the TRAINING_LIST and FILTER_CHOICES versions. The
    date is there because the form offers the coming twelve months."""
    shown = [session.pk for session in page.object_list]
    versions = caching.versions(caching.TRAINING_LIST, caching.FILTER_CHOICES)
    return f"{versions}:{timezone.localdate()}:{request.GET.urlencode()}:{page.paginator.num_pages}:{shown}"


@public_page
def course_detail(request, slug):
    course = get_object_or_404(Course, slug=slug)
    sessions = course.sessions.upcoming().with_counts().select_related("council")
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "training/course_detail.html", {"course": course, "page": page})


@public_page
def session_detail(request, pk):
    session = get_object_or_404(Session.objects.listed().with_counts().select_related("course", "council"), pk=pk)
    booking = _my_active_booking(request.user, session)
    context = {
        "session": session,
        "booking": booking,
        "position": services.waitlist_position(booking) if booking else None,
        "can_see_joining_link": booking is not None and booking.status == Booking.Status.CONFIRMED,
        "is_upcoming": session.starts_at > timezone.now(),
    }
    return render(request, "training/session_detail.html", context)


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


def session_ics(request, pk):
    session = get_object_or_404(Session.objects.listed().select_related("course", "council"), pk=pk)
    booking = _my_active_booking(request.user, session)
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


@public_page
def coverage(request):
    rows = reports.council_coverage()
    context = {"rows": rows, "bands": reports.coverage_bands(), "grid": charts.tile_grid(rows)}
    return render(request, "training/coverage.html", context)


def coverage_csv(request):
    return csv_response(
        filename="training-coverage.csv",
        header=COVERAGE_CSV_COLUMNS,
        rows=(
            [row.council.gss_code, row.council.name, row.sessions_delivered, row.councillors_trained,
             row.council.councillor_seats or "", "" if row.percent_of_seats is None else row.percent_of_seats]
            for row in reports.council_coverage()
        ),
    )  # fmt: skip


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


@login_required
@permission_required("training.export_research", raise_exception=True)
def research(request):
    logs = ResearchExportLog.objects.select_related("user")[:20]
    return render(request, "training/research.html", {"logs": logs, "columns": reports.PARTICIPANT_COLUMNS})


@login_required
@permission_required("training.export_research", raise_exception=True)
def research_participants_csv(request):
    rows = reports.research_participants()
    return _research_download(request, ResearchExportLog.Kind.PARTICIPANTS, reports.PARTICIPANT_COLUMNS, rows)


@login_required
@permission_required("training.export_research", raise_exception=True)
def research_breakdown_csv(request):
    rows = reports.research_breakdown()
    return _research_download(request, ResearchExportLog.Kind.BREAKDOWN, reports.BREAKDOWN_COLUMNS, rows)


# --- helpers ----------------------------------------------------------------


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return f"{query.urlencode()}&" if query else ""


def _testimonials():
    return Feedback.objects.publishable_testimonials().select_related(
        "booking__member__user", "booking__member__council", "booking__council"
    )[:3]


def _my_active_booking(user, session):
    if not user.is_authenticated:
        return None
    return Booking.objects.active().filter(session=session, member__user=user).first()


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


def _research_download(request, kind, columns, rows):
    services.research_export_log(user=request.user, kind=kind, row_count=len(rows))
    audit.audit_record(
        action=audit.Action.RESEARCH_EXPORT,
        row_count=len(rows),
        detail=f"Research {kind}",
        **audit.request_facts(request),
    )
    return csv_response(
        filename=f"training-research-{kind}-{timezone.localdate():%Y-%m-%d}.csv",
        header=columns,
        rows=([row.get(column, "") for column in columns] for row in rows),
    )
