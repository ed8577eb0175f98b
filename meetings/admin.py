from functools import partial

from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from network_portal import audit
from network_portal.admin_site import cancel_confirmation
from network_portal.csv_export import csv_response
from network_portal.event_changes import ChangeRefused

from . import services
from .forms import CancelMeetingForm, MeetingAdminForm, PaperAdminForm
from .models import Action, Feedback, Meeting, Paper, Registration

CSV_COLUMNS = [
    "Meeting",
    "Meeting date",
    "Name",
    "Email",
    "Role",
    "Council",
    "Mode",
    "Status",
    "Attendance",
    "Access needs",
    "Registered at",
]


class MinutesFilter(admin.SimpleListFilter):
    title = "minutes"
    parameter_name = "minutes"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting to be published"), ("published", "Published")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.awaiting_minutes()
        if self.value() == "published":
            return queryset.filter(minutes_published_at__isnull=False)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Open and overdue")]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "overdue" else queryset


class PaperInline(admin.TabularInline):
    model = Paper
    form = PaperAdminForm
    extra = 0
    fields = ["title", "kind", "visibility", "upload", "file_name", "link", "position"]
    readonly_fields = ["file_name"]


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ["description", "owner", "owner_text", "council", "due_on", "status"]
    raw_id_fields = ["owner"]


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    fields = ["user", "mode", "status", "attendance", "access_needs", "created_at"]
    readonly_fields = ["user", "mode", "status", "access_needs", "created_at"]
    ordering = ["status", "created_at"]

    def has_add_permission(self, request, obj=None):
        # Places are given only through the registration service, which checks capacity.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    form = MeetingAdminForm
    list_display = [
        "title",
        "starts_at",
        "quarter_label",
        "format",
        "status",
        "in_person_count",
        "online_count",
        "waitlist_count",
        "minutes_published_at",
    ]
    list_filter = ["status", "format", MinutesFilter]
    search_fields = ["title", "venue_name"]
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "sequence", "minutes_published_at", "counts", "links"]
    inlines = [PaperInline, ActionInline, RegistrationInline]
    actions = ["publish", "cancel_with_notices", "duplicate_for_next_quarter", "publish_minutes", "export_register"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "chair", "summary", "agenda", "links"]}),
        ("Time", {"fields": ["starts_at", "ends_at", "registration_closes_at"]}),
        ("Place", {"fields": ["format", "venue_name", "venue_address", "in_person_capacity", "counts"]}),
        ("Joining online (private)", {"fields": ["joining_url", "joining_notes"]}),
        ("After the meeting", {"fields": ["minutes", "minutes_published_at", "recording_url"]}),
        ("Cancellation and calendar", {"fields": ["cancellation_reason", "sequence"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="In person", ordering="in_person_count")
    def in_person_count(self, obj):
        return obj.in_person_count

    @admin.display(description="Online", ordering="online_count")
    def online_count(self, obj):
        return obj.online_count

    @admin.display(description="Waiting", ordering="waitlist_count")
    def waitlist_count(self, obj):
        return obj.waitlist_count

    @admin.display(description="Quarter")
    def quarter_label(self, obj):
        return obj.quarter_label

    @admin.display(description="Registered")
    def counts(self, obj):
        if obj.pk is None:
            return "–"
        seats = f" of {obj.in_person_capacity} seats" if obj.in_person_capacity is not None else ""
        return f"{obj.in_person_count} in person{seats}, {obj.online_count} online, {obj.waitlist_count} waiting"

    @admin.display(description="Pages")
    def links(self, obj):
        if obj.pk is None:
            return "–"
        return format_html(
            '<a href="{}">Meeting page</a> · <a href="{}">Door register</a> · <a href="{}">Feedback summary</a>',
            obj.get_absolute_url(),
            reverse("meetings:door-register", kwargs={"slug": obj.slug}),
            reverse("meetings:feedback-summary", kwargs={"slug": obj.slug}),
        )

    def save_model(self, request, obj, form, change):
        services.meeting_save(meeting=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Paper:
            # Papers and their files are saved through the services, not by the forms.
            formset.save(commit=False)
            for paper in formset.deleted_objects:
                services.paper_delete(paper=paper)
            for paper_form in formset.saved_forms:
                services.paper_save(paper=paper_form.instance, upload=paper_form.cleaned_data.get("upload"))
            return None
        if formset.model is Action:
            # Through the services too, which retire the cached meeting pages that list them.
            formset.save(commit=False)
            if formset.deleted_objects:
                services.actions_delete(actions=Action.objects.filter(pk__in=[a.pk for a in formset.deleted_objects]))
            for action_form in formset.saved_forms:
                services.action_save(action=action_form.instance)
            return None
        return super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        services.meeting_delete(meetings=Meeting.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.meeting_delete(meetings=queryset)

    @admin.action(description="Publish the selected meetings")
    def publish(self, request, queryset):
        self._run(request, queryset, services.meeting_publish, "{n} meeting(s) published.")

    @admin.action(description="Cancel the selected meetings and tell registrants")
    def cancel_with_notices(self, request, queryset):
        form = CancelMeetingForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            cancel = partial(services.meeting_cancel, reason=reason)
            return self._run(request, queryset, cancel, "Cancelled; {n} notice(s) queued.", count_results=True)
        return cancel_confirmation(
            self,
            request,
            template="meetings/admin_cancel_confirmation.html",
            title="Cancel meetings",
            events=queryset.with_counts(),
            form=form,
        )

    @admin.action(description="Duplicate for next quarter (as drafts)")
    def duplicate_for_next_quarter(self, request, queryset):
        for meeting in queryset:
            copy = services.meeting_duplicate_next_quarter(meeting_id=meeting.pk)
            self.message_user(
                request,
                format_html(
                    'Created draft <a href="{}">{}</a>. Add its joining link and papers, then publish it.',
                    reverse("admin:meetings_meeting_change", args=[copy.pk]),
                    copy,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Publish minutes and email them to registrants")
    def publish_minutes(self, request, queryset):
        self._run(request, queryset, services.meeting_minutes_publish, "{n} email(s) queued.", count_results=True)

    @admin.action(description="Export the register as CSV")
    def export_register(self, request, queryset):
        registrations = Registration.objects.filter(meeting__in=queryset)
        _audit_register(request, registrations, ", ".join(str(m) for m in queryset))
        return register_csv(registrations, filename="meeting-register.csv")

    def _run(self, request, queryset, service, success: str, count_results: bool = False):
        total = 0
        for meeting in queryset:
            try:
                result = service(meeting_id=meeting.pk)
            except (services.MeetingError, ChangeRefused) as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            total += result if count_results else int(bool(result))
        self.message_user(request, success.format(n=total), messages.SUCCESS)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["user", "meeting", "mode", "status", "attendance", "created_at"]
    list_filter = ["status", "mode", "attendance", "meeting"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "meeting__title"]
    list_select_related = ["user", "meeting"]
    readonly_fields = ["meeting", "user", "mode", "status", "created_at", "cancelled_at"]
    fields = ["meeting", "user", "mode", "status", "attendance", "access_needs", "created_at", "cancelled_at"]
    actions = ["mark_attended", "mark_absent", "export_register"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark as attended")
    def mark_attended(self, request, queryset):
        self._mark(request, queryset, Registration.Attendance.ATTENDED)

    @admin.action(description="Mark as did not attend")
    def mark_absent(self, request, queryset):
        self._mark(request, queryset, Registration.Attendance.ABSENT)

    @admin.action(description="Export the selected registrations as CSV")
    def export_register(self, request, queryset):
        _audit_register(request, queryset, "selected meeting registrations")
        return register_csv(queryset, filename="meeting-registrations.csv")

    def _mark(self, request, queryset, attendance):
        ids = list(queryset.values_list("pk", flat=True))
        count = services.registration_mark_attendance(registration_ids=ids, attendance=attendance)
        skipped = len(ids) - count
        note = f" {skipped} not changed: only registered places have attendance." if skipped else ""
        self.message_user(request, f"{count} registration(s) updated.{note}", messages.SUCCESS)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    """The actions tracker across all meetings."""

    list_display = ["description_short", "meeting", "owner_label", "council", "due_on", "status"]
    list_editable = ["status"]
    list_filter = [OverdueFilter, "status", "council", "meeting"]
    search_fields = ["description", "owner_text", "owner__email", "owner__last_name"]
    list_select_related = ["meeting", "owner", "council"]
    raw_id_fields = ["owner"]

    def save_model(self, request, obj, form, change):
        services.action_save(action=obj)

    def delete_model(self, request, obj):
        services.actions_delete(actions=Action.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.actions_delete(actions=queryset)

    @admin.display(description="Action")
    def description_short(self, obj):
        return str(obj)

    @admin.display(description="Owner")
    def owner_label(self, obj):
        return obj.owner_label


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["meeting", "usefulness", "created_at"]
    list_filter = ["usefulness", "registration__meeting"]
    list_select_related = ["registration__meeting"]
    readonly_fields = ["registration", "usefulness", "topics_next_time", "comments", "created_at"]

    @admin.display(description="Meeting", ordering="registration__meeting__starts_at")
    def meeting(self, obj):
        return obj.registration.meeting

    def has_add_permission(self, request):
        return False


def _audit_register(request, registrations, detail: str) -> None:
    audit.audit_record(
        action=audit.Action.REGISTER_EXPORT,
        row_count=registrations.count(),
        detail=f"Meeting register: {detail}",
        **audit.request_facts(request),
    )


def register_csv(registrations, *, filename: str) -> HttpResponse:
    rows = registrations.select_related("meeting", "user", "user__member", "user__member__council").order_by(
        "meeting__starts_at", "status", "created_at"
    )
    return csv_response(filename=filename, header=CSV_COLUMNS, rows=(_register_row(r) for r in rows))


def _register_row(r: Registration) -> list[str]:
    member = getattr(r.user, "member", None)
    return [
        r.meeting.title,
        timezone.localtime(r.meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
        r.user.get_full_name(),
        r.user.email,
        member.get_role_display() if member else "",
        member.council.name if member and member.council else "",
        r.get_mode_display(),
        r.get_status_display(),
        r.get_attendance_display(),
        r.access_needs,
        timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
    ]
