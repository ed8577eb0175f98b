from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from network_portal import audit, caching, invitations, privileges
from network_portal.csv_export import csv_response
from network_portal.markdown import render_markdown

from . import admin_list, services
from .forms import MessageForm, RejectForm
from .models import (
    Appointment,
    ConsentRecord,
    ContactEnquiry,
    Council,
    DataExport,
    Member,
    Message,
    Reconfirmation,
    Topic,
    User,
)


@admin.register(User)
class UserAdmin(audit.AuditedChangeViewMixin, BaseUserAdmin):
    audit_subject = "pk"
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    # Dates are records, not settings. Plain labelled selects replace the
    # two-box widget, whose icons carry ARIA attributes axe rejects.
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()
    actions = ["reset_authenticator"]

    def save_model(self, request, obj, form, change):
        # Groups are saved after the user (save_related), so the change of role is judged there.
        request._np_was_privileged = change and privileges.user_is_privileged(User.objects.get(pk=obj.pk))
        # Switching a login off goes through the service, which also ends the
        # member's bookings, registrations, scheduled email and calendar feed.
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True
        super().save_model(request, obj, form, change)
        if {"first_name", "last_name"} & set(form.changed_data):
            caching.invalidate(caching.TESTIMONIALS)  # published testimonials show the name
        if {"first_name", "last_name", "email"} & set(form.changed_data):
            caching.bump(caching.MEETING_PAGE)  # meeting pages name actions' owners, by email if nameless
        if deactivating:
            services.user_deactivate(user=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = User.objects.get(pk=form.instance.pk)
        if not getattr(request, "_np_was_privileged", False) and privileges.user_is_privileged(user):
            invitations.privileged_role_granted(user=user, granted_by=request.user)
            self.message_user(
                request,
                f"{user.email} can now open privileged pages. We emailed them an invitation to set up "
                "an authenticator app; until then those pages stay closed to them.",
            )

    def delete_model(self, request, obj):
        services.users_delete(users=User.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.users_delete(users=queryset)

    @admin.action(description="Reset the authenticator app and email a new invitation")
    def reset_authenticator(self, request, queryset):
        sent = 0
        for user in queryset:
            if privileges.user_is_privileged(user):
                invitations.privileged_role_granted(user=user, granted_by=request.user)
                sent += 1
        self.message_user(request, f"{sent} invitation(s) emailed. Accounts without a privileged role were skipped.")


class AppointmentInline(admin.TabularInline):
    model = Appointment
    extra = 0
    raw_id_fields = ["member"]
    fields = ["role", "member", "since", "until"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "gss_code",
        "abbr",
        "councillor_seats",
        "seats_since",
        "subregion",
        "email_domains",
        "approved_members",
        "pending_members",
    ]
    search_fields = ["name", "official_name", "gss_code", "email_domains"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AppointmentInline]
    actions = ["start_reconfirmation"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_member_counts()

    def save_model(self, request, obj, form, change):
        services.council_save(council=obj)

    def delete_model(self, request, obj):
        services.councils_delete(councils=Council.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.councils_delete(councils=queryset)

    @admin.display(description="Approved members", ordering="approved_count")
    def approved_members(self, council):
        return council.approved_count

    @admin.display(description="Waiting for approval", ordering="pending_count")
    def pending_members(self, council):
        return council.pending_count

    @admin.action(description="Start re-confirmation: ask councillors if they still serve")
    def start_reconfirmation(self, request, queryset):
        councils = list(queryset)
        if request.POST.get("confirm") == "yes":
            asked = services.reconfirmation_start(councils=councils)
            self.message_user(request, f"{asked} councillor(s) emailed a re-confirmation link.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Start re-confirmation",
            "councils": councils,
            "councillor_count": Member.objects.approved()
            .active()
            .filter(role=Member.Role.COUNCILLOR, council__in=councils)
            .count(),
            "days": settings.MEMBERS_RECONFIRM_DAYS,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "members/admin/reconfirm_confirm.html", context)


class ChampionFilter(admin.SimpleListFilter):
    title = "champion or lead officer"
    parameter_name = "appointment"

    def lookups(self, request, model_admin):
        return [("champion", "Member champions"), ("lead_officer", "Lead officers"), ("none", "Neither")]

    def queryset(self, request, queryset):
        if self.value() == "champion":
            return queryset.filter(is_champion=True)
        if self.value() == "lead_officer":
            return queryset.filter(is_lead_officer=True)
        if self.value() == "none":
            return queryset.filter(is_champion=False, is_lead_officer=False)
        return queryset


class CouncilFilter(admin.RelatedFieldListFilter):
    """Django's council filter, its choices kept with the cached filter sidebar: no query."""

    def field_choices(self, field, request, model_admin):
        build = super().field_choices
        return admin_list.council_choices(request, lambda: build(field, request, model_admin))


class EmailVerifiedFilter(admin.SimpleListFilter):
    title = "email verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "Not yet")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.with_verified_email().filter(email_verified=self.value() == "yes")
        return queryset


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = ["kind", "granted", "wording_version", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class MemberAppointmentInline(AppointmentInline):
    fields = ["role", "council", "since", "until"]
    raw_id_fields = []


CSV_COLUMNS = [
    ("Name", lambda m: m.user.get_full_name()),
    ("Email", lambda m: m.user.email),
    ("Role", lambda m: m.get_role_display()),
    ("Council", lambda m: m.council or ""),
    ("Ward", lambda m: m.ward),
    ("Job title", lambda m: m.job_title),
    ("Organisation", lambda m: m.organisation),
    ("Status", lambda m: m.get_status_display()),
    ("Champion", lambda m: "yes" if m.is_champion else ""),
    ("Lead officer", lambda m: "yes" if m.is_lead_officer else ""),
    ("Directory", lambda m: "yes" if m.consent_directory else ""),
    ("Digest", lambda m: "yes" if m.consent_digest else ""),
    ("Research", lambda m: "yes" if m.consent_research else ""),
    ("Joined", lambda m: timezone.localtime(m.created_at).strftime("%Y-%m-%d")),
    ("Last login", lambda m: timezone.localtime(m.user.last_login).strftime("%Y-%m-%d") if m.user.last_login else ""),
]


@admin.register(Member)
class MemberAdmin(audit.AuditedChangeViewMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["members/admin.css"]}

    change_list_template = "members/admin/member_change_list.html"
    list_display = ["name", "email", "role", "council", "status", "appointment", "joined", "last_login"]
    list_filter = [
        "status",
        EmailVerifiedFilter,
        "role",
        ChampionFilter,
        ("council", CouncilFilter),
        "consent_directory",
        "consent_digest",
        "consent_research",
    ]
    search_fields = ["user__email", "user__first_name", "user__last_name", "ward", "job_title", "organisation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "council" in form.changed_data:
            caching.invalidate(caching.TESTIMONIALS)  # published testimonials name the council

    list_select_related = ["user", "council"]
    # Profiled under load (bench/README.md): each row cost more than a bare page. Fifty rows a
    # page, no second COUNT(*) of the whole table, and a checkbox written out rather than
    # rendered through the widget templates keep every column.
    list_per_page = 50
    paginator = admin_list.KeptCountPaginator
    show_full_result_count = False
    raw_id_fields = ["user"]
    filter_horizontal = ["interests"]
    date_hierarchy = "created_at"
    inlines = [MemberAppointmentInline, ConsentRecordInline]
    actions = ["approve", "reject"]
    consent_fields = ["consent_directory", "consent_digest", "consent_research", "consent_public"]
    # Consents change only through the member's own account, so each change is recorded with its wording.
    readonly_fields = ["status_changed_at", "created_at", *consent_fields]
    fieldsets = [
        (None, {"fields": ["user", "role", "council", "ward", "job_title", "organisation", "interests"]}),
        ("Status", {"fields": ["status", "status_reason", "status_changed_at", "created_at"]}),
        ("Consents", {"fields": consent_fields}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            # Status changes go through the approve and reject actions, which email the member.
            fields += ["status", "status_reason"]
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).with_champion_flags()

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The page of results: only the columns the list shows. (Actions and the CSV export
        # read the changelist's queryset itself, with every field.)
        queryset = queryset.only(*admin_list.LOADED_FIELDS)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, params=request.GET)

    def get_urls(self):
        export = path("export.csv", self.admin_site.admin_view(self.export_csv), name="members_member_export")
        return [export, *super().get_urls()]

    def action_checkbox(self, member):
        """The same markup as ModelAdmin.action_checkbox, without a widget template per row."""
        return admin_list.checkbox(member)

    @admin.display(description="Name", ordering="user__last_name")
    def name(self, member):
        return member.user.get_full_name() or "–"

    @admin.display(description="Email", ordering="user__email")
    def email(self, member):
        return member.user.email

    @admin.display(description="Champion / lead officer")
    def appointment(self, member):
        roles = [
            label
            for flag, label in [(member.is_champion, "Champion"), (member.is_lead_officer, "Lead officer")]
            if flag
        ]
        return ", ".join(roles) or "–"

    @admin.display(description="Joined", ordering="created_at")
    def joined(self, member):
        return member.created_at

    @admin.display(description="Last login", ordering="user__last_login")
    def last_login(self, member):
        return member.user.last_login

    @admin.action(description="Approve the selected members (emails them)")
    def approve(self, request, queryset):
        approved = sum(services.member_approve(member=member) for member in queryset)
        self.message_user(request, f"{approved} member(s) approved and emailed.", messages.SUCCESS)

    @admin.action(description="Reject the selected members, with a reason (emails them)")
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            rejected = sum(services.member_reject(member=member, reason=reason) for member in queryset)
            self.message_user(request, f"{rejected} member(s) rejected and emailed.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject members",
            "form": form,
            "members": queryset.select_related("user", "council"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "members/admin/reject.html", context)

    def export_csv(self, request):
        """The changelist as CSV, with the same filters and search as on screen."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        members = self.get_changelist_instance(request).get_queryset(request)
        rows = [
            [str(value(member)) for _, value in CSV_COLUMNS]
            for member in members.select_related("user", "council").iterator(chunk_size=500)
        ]
        response = csv_response(
            filename=f"members-{timezone.localdate():%Y-%m-%d}.csv",
            header=[title for title, _ in CSV_COLUMNS],
            rows=rows,
        )
        audit.audit_record(
            action=audit.Action.MEMBER_EXPORT,
            row_count=len(rows),
            detail=request.GET.urlencode(),
            **audit.request_facts(request),
        )
        return response


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["member", "role", "council", "since", "until"]
    list_filter = ["role", "council"]
    search_fields = ["member__user__first_name", "member__user__last_name", "council__name"]
    list_select_related = ["member__user", "council"]
    raw_id_fields = ["member"]
    date_hierarchy = "since"


@admin.register(ContactEnquiry)
class ContactEnquiryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "email", "council", "role", "status"]
    list_filter = ["status", "role", "council"]
    search_fields = ["name", "email", "message"]
    list_select_related = ["council"]
    readonly_fields = ["name", "email", "council", "role", "message", "created_at", "answered_at"]
    fields = [*readonly_fields[:5], "status", "created_at", "answered_at"]
    actions = ["mark_answered"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if obj.status == ContactEnquiry.Status.ANSWERED and obj.answered_at is None:
            obj.answered_at = timezone.now()
        if obj.status == ContactEnquiry.Status.NEW:
            obj.answered_at = None
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark the selected enquiries as answered")
    def mark_answered(self, request, queryset):
        count = services.enquiry_mark_answered(enquiry_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} enquiry(ies) marked as answered.", messages.SUCCESS)


@admin.register(Reconfirmation)
class ReconfirmationAdmin(admin.ModelAdmin):
    list_display = ["member", "requested_at", "deadline", "outcome", "answered_at"]
    list_filter = ["outcome", "member__council"]
    search_fields = ["member__user__first_name", "member__user__last_name", "member__user__email"]
    list_select_related = ["member__user"]
    readonly_fields = ["member", "requested_at", "deadline", "outcome", "answered_at"]

    def has_add_permission(self, request):
        return False


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["exported_at", "user", "row_count"]
    list_select_related = ["user"]
    readonly_fields = ["user", "exported_at", "row_count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        services.topic_save(topic=obj)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    form = MessageForm
    list_display = ["subject", "kind", "status", "recipient_count", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject"]
    filter_horizontal = ["councils"]
    change_form_template = "members/admin/message_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # A message that has gone out is a record: it cannot be changed.
        if obj is not None and obj.status != Message.Status.DRAFT:
            return ["subject", "body", "kind", "audience", "audience_object_id", "councils", "roles",
                    "champions_only", "status", "recipient_count", "sent_by", "queued_at", "sent_at"]  # fmt: skip
        return []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status != Message.Status.DRAFT:
            kwargs["fields"] = []
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status != Message.Status.DRAFT:
            return self.get_readonly_fields(request, obj)
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return redirect("admin:members_message_preview", obj.pk)

    def response_change(self, request, obj):
        return redirect("admin:members_message_preview", obj.pk)

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.status == Message.Status.DRAFT

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/preview/", preview, name="members_message_preview"), *super().get_urls()]

    def preview_view(self, request, pk):
        """The exact recipient count and the rendered message; send a test, or send."""
        message = get_object_or_404(Message, pk=pk)
        if not self.has_change_permission(request, message):
            raise PermissionDenied
        count = services.message_recipients(message).count()
        if request.method == "POST":
            response = self._preview_post(request, message, count)
            if response is not None:
                return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Preview: {message.subject}",
            "message": message,
            "body_html": render_markdown(message.body),
            "count": count,
            "audience": services.message_audience_label(message),
        }
        return TemplateResponse(request, "members/admin/message_preview.html", context)

    def _preview_post(self, request, message, count):
        if request.POST.get("action") == "test":
            services.message_send_test(message=message, to_user=request.user)
            messages.success(request, f"A test copy is on its way to {request.user.email}.")
            return redirect("admin:members_message_preview", message.pk)
        if request.POST.get("action") != "send":
            return None
        if request.POST.get("expected_count") != str(count):
            messages.warning(request, f"The audience has changed: it is now {count}. Check the preview and send again.")
            return None
        try:
            sent = services.message_send(message_id=message.pk, sent_by=request.user)
        except services.MessageRefused as refusal:
            messages.error(request, refusal.message)
            return None
        audit.audit_record(
            action=audit.Action.MESSAGE_SEND,
            row_count=sent,
            detail=f"Message {message.pk} “{message.subject}” to {services.message_audience_label(message)}",
            **audit.request_facts(request),
        )
        messages.success(request, f"Sending to {sent} people. The emails go out in the background.")
        return redirect(reverse("admin:members_message_changelist"))
