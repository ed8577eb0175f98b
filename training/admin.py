from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from members.models import Member
from network_portal import admin_site, audit
from network_portal.csv_export import csv_response
from network_portal.event_changes import ChangeRefused

from . import services
from .forms import EvidenceFileField
from .models import Booking, Commitment, Course, Feedback, FollowUp, ResearchExportLog, ResearchProject, Session

REGISTER_COLUMNS = ["Session", "Date", "Name", "Email", "Role", "Council", "Status", "Attended", "Booked at"]


class EvidenceLinksMixin:
    """Puts the evidence dashboard one click away from the training admin pages,
    and fixes two accessibility gaps of the stock admin on them."""

    change_list_template = "training/admin/change_list.html"

    class Media:
        css = {"all": ["css/training-admin.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            # The admin's split date and time boxes have no label of their own.
            date_box, time_box = field.widget.widgets
            date_box.attrs["aria-label"] = f"{db_field.verbose_name.capitalize()}: date"
            time_box.attrs["aria-label"] = f"{db_field.verbose_name.capitalize()}: time"
        return field


@admin.register(Course)
class CourseAdmin(EvidenceLinksMixin, admin.ModelAdmin):
    list_display = ["title", "audience", "duration_minutes", "trainer", "session_count"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(session_count=Count("sessions"))

    @admin.display(description="sessions", ordering="session_count")
    def session_count(self, course):
        return course.session_count

    def save_model(self, request, obj, form, change):
        services.course_save(course=obj)


@admin.display(description="member")
def trainee(booking: Booking):
    # The retention job empties the member link two years after the session.
    return booking.member or "Anonymised"


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    can_delete = False
    fields = [trainee, "status", "attended", "created_at", "promoted_at", "cancelled_at", "booked_by"]
    readonly_fields = fields
    ordering = ["status", "created_at", "pk"]

    def has_add_permission(self, request, obj=None):
        # Seats are given only through the booking service, which locks and counts.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__user", "booked_by")


class AttendanceFilter(admin.SimpleListFilter):
    title = "attendance"
    parameter_name = "attendance"

    def lookups(self, request, model_admin):
        return [("to-mark", "Finished, attendance not marked")]

    def queryset(self, request, queryset):
        if self.value() == "to-mark":
            return queryset.filter(pk__in=Session.objects.needing_attendance().values("pk"))
        return queryset


class BookMemberForm(forms.Form):
    email = forms.EmailField(label="Member's email address")
    audience_override_reason = forms.CharField(
        label="Reason for booking outside the course's audience",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only needed when the member's role is not in the course's audience. It is recorded.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        member = Member.objects.select_related("user").filter(user__email__iexact=email).first()
        if member is None:
            raise forms.ValidationError("No member has this email address.")
        self.member = member
        return email


class SessionAdminForm(forms.ModelForm):
    def _post_clean(self):
        # The instance holds the edited values only after the model form's own cleaning.
        super()._post_clean()
        if self.instance.pk is not None and not self.errors:
            try:
                services.session_change_check(session=self.instance)
            except ChangeRefused as refusal:
                self.add_error(None, refusal.message)


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        label="Reason (included in the email to everyone booked, and shown on their My training page)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(Session)
class SessionAdmin(EvidenceLinksMixin, admin.ModelAdmin):
    list_display = ["course", "place", "starts_at", "mode", "status", "capacity", "confirmed", "waitlisted", "seats"]
    list_filter = ["status", "course", AttendanceFilter, "mode", "council"]
    date_hierarchy = "starts_at"
    list_select_related = ["course", "council"]
    search_fields = ["course__title", "council__name", "venue"]
    readonly_fields = ["sequence", "created_at"]
    inlines = [BookingInline]
    form = SessionAdminForm
    actions = ["export_register", "cancel_with_notices"]
    change_form_template = "training/admin/session_change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="for", ordering="council__name")
    def place(self, session):
        return session.place_label

    @admin.display(description="confirmed", ordering="confirmed_count")
    def confirmed(self, session):
        return session.confirmed_count

    @admin.display(description="waiting list", ordering="waitlist_count")
    def waitlisted(self, session):
        return session.waitlist_count

    @admin.display(description="seats left", ordering="seats_left")
    def seats(self, session):
        return session.seats_left

    def save_model(self, request, obj, form, change):
        # Through the service: a capacity raise promotes the waiting list.
        promoted = services.session_save(session=obj)
        if promoted:
            self.message_user(
                request, f"{len(promoted)} person(s) moved from the waiting list into new seats and emailed."
            )

    @admin.action(description="Cancel the selected sessions and tell everyone booked")
    def cancel_with_notices(self, request, queryset):
        form = CancelSessionForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            sent = 0
            for session in queryset:
                try:
                    sent += services.session_cancel(session_id=session.pk, reason=form.cleaned_data["reason"])
                except ChangeRefused as refusal:
                    self.message_user(request, refusal.message, messages.ERROR)
            self.message_user(request, f"Cancelled; {sent} email(s) queued.", messages.SUCCESS)
            return None
        return admin_site.cancel_confirmation(
            self,
            request,
            template="training/admin/cancel_confirmation.html",
            title="Cancel training sessions",
            events=queryset.with_counts(),
            form=form,
        )

    def get_urls(self):
        book = self.admin_site.admin_view(self.book_member_view)
        return [path("<int:pk>/book/", book, name="training_session_book"), *super().get_urls()]

    def book_member_view(self, request, pk):
        session = get_object_or_404(Session.objects.select_related("course", "council"), pk=pk)
        if not self.has_change_permission(request, session):
            return redirect("admin:index")
        form = BookMemberForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                booking = services.booking_create(
                    member=form.member,
                    session=session,
                    booked_by=request.user,
                    audience_override_reason=form.cleaned_data["audience_override_reason"],
                )
            except services.BookingRefused as refusal:
                form.add_error("audience_override_reason" if refusal.code == "audience" else "email", refusal.message)
            else:
                self.message_user(request, f"{form.member} is {booking.get_status_display().lower()}.")
                return redirect("admin:training_session_change", session.pk)
        context = {**self.admin_site.each_context(request), "form": form, "session": session, "opts": self.opts}
        context["title"] = f"Book a member onto {session}"
        return TemplateResponse(request, "training/admin/book_member.html", context)

    @admin.action(description="Export the register of the selected sessions as CSV")
    def export_register(self, request, queryset):
        bookings = (
            Booking.objects.active()
            .filter(session__in=queryset.values("pk"))
            .select_related("session__course", "session__council", "member__user", "member__council", "council")
            .order_by("session__starts_at", "session_id", "status", "member__user__last_name")
        )
        rows = [_register_row(booking) for booking in bookings]
        response = csv_response(
            filename=f"training-register-{timezone.localdate():%Y-%m-%d}.csv", header=REGISTER_COLUMNS, rows=rows
        )
        audit.audit_record(
            action=audit.Action.REGISTER_EXPORT,
            row_count=len(rows),
            detail="Training register: " + ", ".join(str(session) for session in queryset)[:250],
            **audit.request_facts(request),
        )
        return response


def _register_row(booking: Booking) -> list:
    member, session = booking.member, booking.session
    return [
        str(session.course),
        f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}",
        member.user.get_full_name() if member else "Anonymised",
        member.user.email if member else "",
        member.get_role_display() if member else booking.get_role_display(),
        _council_name(member.council if member else booking.council),
        booking.get_status_display(),
        booking.get_attended_display(),
        f"{timezone.localtime(booking.created_at):%Y-%m-%d %H:%M}",
    ]


def _council_name(council) -> str:
    return council.name if council else ""


@admin.register(Booking)
class BookingAdmin(EvidenceLinksMixin, admin.ModelAdmin):
    list_display = [trainee, "session", "status", "attended", "created_at", "promoted_at"]
    list_filter = ["status", "attended", "session__course"]
    search_fields = ["member__user__email", "member__user__first_name", "member__user__last_name"]
    list_select_related = ["member__user", "session__course", "session__council"]
    readonly_fields = [
        "session",
        trainee,
        *Booking.RECORD_FIELDS,
        "audience_override_reason",
        "anonymised_at",
    ]
    actions = ["mark_attended", "mark_no_show", "cancel_bookings"]

    def has_add_permission(self, request):
        # Staff book members from the session page, through the booking service.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected bookings as attended")
    def mark_attended(self, request, queryset):
        self._mark(request, queryset, Booking.Attended.YES, "attended")

    @admin.action(description="Mark the selected bookings as no-show")
    def mark_no_show(self, request, queryset):
        self._mark(request, queryset, Booking.Attended.NO, "no-show")

    def _mark(self, request, queryset, value, label):
        ids = list(queryset.values_list("pk", flat=True))
        updated = services.booking_mark_attendance(booking_ids=ids, attended=value)
        self.message_user(request, f"{updated} booking(s) marked {label}.", messages.SUCCESS)
        if updated < len(ids):
            self.message_user(
                request,
                f"{len(ids) - updated} skipped: only confirmed bookings of sessions that have started can be marked.",
                messages.WARNING,
            )

    @admin.action(description="Cancel the selected bookings (the waiting list moves up)")
    def cancel_bookings(self, request, queryset):
        cancelled = 0
        for booking in queryset.select_related("session"):
            try:
                services.booking_cancel(booking=booking)
            except services.BookingRefused as refusal:
                self.message_user(request, f"{booking}: {refusal.message}", messages.WARNING)
            else:
                cancelled += 1
        self.message_user(request, f"{cancelled} booking(s) cancelled.", messages.SUCCESS)


class ReadOnlyAdmin(EvidenceLinksMixin, admin_site.ReadOnlyAdmin):
    """Evaluation records: read-only, with links to the evidence behind them."""


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = [
        "booking",
        "rating",
        "usefulness",
        "testimonial_consent",
        "testimonial_approved_at",
        "testimonial_hidden",
        "submitted_at",
    ]
    list_filter = [
        "rating",
        "testimonial_consent",
        ("testimonial_approved_at", admin.EmptyFieldListFilter),
        "testimonial_hidden",
        "research_consent",
        "booking__session__course",
    ]
    list_select_related = ["booking__member__user", "booking__session__course", "booking__session__council"]
    date_hierarchy = "submitted_at"
    actions = ["approve_testimonials", "hide_testimonials", "show_testimonials"]
    readonly_fields = ["testimonial_approved_at", "testimonial_approved_by", "testimonial_withdrawn_at"]

    @admin.action(description="Approve the selected testimonials for public pages")
    def approve_testimonials(self, request, queryset):
        count = services.testimonial_approve(
            feedback_ids=list(queryset.values_list("pk", flat=True)), approved_by=request.user
        )
        self.message_user(
            request,
            f"{count} testimonial(s) approved. Any others selected were already approved, "
            "withdrawn, or written without consent to publish.",
        )

    @admin.action(description="Hide the selected testimonials from public pages")
    def hide_testimonials(self, request, queryset):
        count = services.feedback_set_testimonial_hidden(
            feedback_ids=list(queryset.values_list("pk", flat=True)), hidden=True
        )
        self.message_user(request, f"{count} testimonial(s) hidden.")

    @admin.action(description="Show the selected testimonials again (where consent allows)")
    def show_testimonials(self, request, queryset):
        count = services.feedback_set_testimonial_hidden(
            feedback_ids=list(queryset.values_list("pk", flat=True)), hidden=False
        )
        self.message_user(request, f"{count} testimonial(s) shown.")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "booking",
        "wave",
        "raised_in_meeting",
        "influenced_policy",
        "policy_area",
        "became_champion",
        "submitted_at",
    ]
    list_filter = ["wave", "influenced_policy", "policy_area", "raised_in_meeting", "became_champion"]
    list_select_related = ["booking__member__user", "booking__session__course", "booking__session__council"]


@admin.register(ResearchExportLog)
class ResearchExportLogAdmin(ReadOnlyAdmin):
    list_display = ["downloaded_at", "user", "project", "kind", "filters", "row_count"]
    list_filter = ["kind", "project"]
    list_select_related = ["user", "project"]


class CommitmentAdminForm(forms.ModelForm):
    # Not "evidence_file": that is the model's field, written only by the service.
    upload = EvidenceFileField(label="Evidence document")
    evidence_url = forms.URLField(label="Evidence link", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Commitment
        fields = ["council", "kind", "service_area", "summary", "happened_on", "evidence_url", "source", "followup"]

    def clean(self):
        cleaned = super().clean()
        has_file = cleaned.get("upload") or (self.instance.pk and self.instance.evidence_file)
        if not cleaned.get("evidence_url") and not has_file:
            self.add_error("evidence_url", "Give a link to the evidence or upload a document.")
        if cleaned.get("kind") == Commitment.Kind.POLICY_CHANGE and not cleaned.get("service_area"):
            self.add_error("service_area", "Choose the service area the policy or service change is in.")
        return cleaned


@admin.register(Commitment)
class CommitmentAdmin(EvidenceLinksMixin, admin.ModelAdmin):
    form = CommitmentAdminForm
    list_display = ["council", "kind", "service_area", "happened_on", "source", "status", "verified_at"]
    list_filter = ["status", "kind", "source", "council"]
    list_select_related = ["council"]
    search_fields = ["summary", "council__name"]
    date_hierarchy = "happened_on"
    readonly_fields = ["status", "reported_by", "verified_by", "verified_at", "evidence_file_name"]
    raw_id_fields = ["followup"]
    actions = ["verify"]

    @admin.action(description="Verify the selected entries (evidence checked)")
    def verify(self, request, queryset):
        count = services.commitment_verify(
            commitment_ids=list(queryset.values_list("pk", flat=True)), verified_by=request.user
        )
        self.message_user(request, f"{count} entr{'y' if count == 1 else 'ies'} verified.")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.reported_by = request.user
        services.commitment_save(commitment=obj, upload=form.cleaned_data.get("upload"))

    def delete_model(self, request, obj):
        services.commitment_delete(commitments=Commitment.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.commitment_delete(commitments=queryset)


@admin.register(ResearchProject)
class ResearchProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "evaluator_organisation", "agreement_signed_on", "expires_on", "k"]
    search_fields = ["name", "evaluator_organisation"]
    filter_horizontal = ["researchers"]
    # The key salt is never shown: with the server secret it would recompute pseudonyms.
    fields = ["name", "evaluator_organisation", "purpose", "agreement_signed_on", "expires_on", "k", "researchers"]
