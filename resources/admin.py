from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from network_portal.uploads import FileOrLinkForm, UploadField

from . import services
from .models import CaseStudy, Download, Organisation, Resource, Update


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "website"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        services.organisation_save(organisation=obj)


class ResourceAdminForm(FileOrLinkForm):
    upload = UploadField(label="File", required=False)
    url = forms.URLField(label="External link", max_length=500, required=False, assume_scheme="https")
    link_field = "url"
    what = "A published resource"

    class Meta:
        model = Resource
        fields = [
            "title", "slug", "kind", "summary", "body", "topics", "source", "council", "url", "visibility", "status",
            "published_at",
        ]  # fmt: skip

    def file_or_link_required(self, cleaned):
        # A case study's text is its content: it needs neither.
        return cleaned.get("status") == Resource.Status.PUBLISHED and cleaned.get("kind") != Resource.Kind.CASE_STUDY

    def clean(self):
        data = super().clean()
        if data.get("status") == Resource.Status.PUBLISHED and not data.get("published_at"):
            data["published_at"] = timezone.now()
        return data


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    form = ResourceAdminForm
    list_display = ["title", "kind", "credit", "visibility", "status", "published_at", "download_count"]
    list_filter = ["status", "visibility", "kind", "topics", "source"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics"]
    date_hierarchy = "published_at"
    list_select_related = ["source", "council"]
    autocomplete_fields = ["source"]
    readonly_fields = ["current_file", "download_count"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "body", "topics", "source", "council"]}),
        ("File or link", {"fields": ["current_file", "upload", "url"]}),
        ("Publishing", {"fields": ["visibility", "status", "published_at", "download_count"]}),
    ]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        # A correlated count, not a join: the changelist then counts downloads for
        # the 100 rows shown instead of grouping every download of every resource.
        downloads = Download.objects.filter(resource=OuterRef("pk")).order_by().values("resource")
        count = Subquery(downloads.annotate(n=Count("pk")).values("n"))
        return super().get_queryset(request).annotate(_downloads=Coalesce(count, 0))

    @admin.display(description="Downloads", ordering="_downloads")
    def download_count(self, obj):
        return obj._downloads

    @admin.display(description="Current file")
    def current_file(self, obj):
        if not obj.file:
            return "None"
        return format_html('<a href="{}">{}</a>', obj.get_download_url(), obj.file_name)

    def save_model(self, request, obj, form, change):
        services.resource_save(resource=obj, upload=form.cleaned_data.get("upload"))

    def delete_model(self, request, obj):
        services.resource_delete(resources=Resource.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.resource_delete(resources=queryset)

    @admin.action(description="Publish the selected resources")
    def publish(self, request, queryset):
        count = services.resource_publish(resource_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} resource(s) published.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} skipped: already published, or no file or link yet.", messages.WARNING
            )

    @admin.action(description="Unpublish the selected resources (back to draft)")
    def unpublish(self, request, queryset):
        count = services.resource_unpublish(resource_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} resource(s) moved back to draft.", messages.SUCCESS)


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ["downloaded_at", "resource", "user"]
    list_select_related = ["resource", "user"]
    date_hierarchy = "downloaded_at"
    search_fields = ["resource__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "visibility", "status", "published_at", "author"]
    list_filter = ["status", "visibility", "organisation"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["organisation", "author"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["author"]
    readonly_fields = ["approved_by"]
    actions = ["approve", "withdraw"]

    def save_model(self, request, obj, form, change):
        services.update_save(update=obj)

    @admin.action(description="Approve and publish the selected updates")
    def approve(self, request, queryset):
        count = services.update_approve(update_ids=queryset.values_list("pk", flat=True), staff_user=request.user)
        self.message_user(request, f"{count} update(s) published.", messages.SUCCESS)

    @admin.action(description="Withdraw the selected updates")
    def withdraw(self, request, queryset):
        count = services.update_withdraw(update_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} update(s) withdrawn.", messages.SUCCESS)


class ReturnNoteForm(forms.Form):
    note = forms.CharField(
        label="Note to the submitter",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Say what to change. It is emailed to the submitter.",
    )


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "submitter", "status", "submitted_at", "may_contact"]
    list_filter = ["status", "topics"]
    search_fields = ["title", "what_we_did", "outcome"]
    list_select_related = ["council", "submitter"]
    readonly_fields = ["attachment", "status", "review_note", "reviewed_by", "reviewed_at", "resource", "submitter"]
    fields = [
        "title", "council", "topics", "what_we_did", "outcome", "may_contact", "attachment", "submitter",
        "status", "review_note", "reviewed_by", "reviewed_at", "resource",
    ]  # fmt: skip
    actions = ["publish", "return_with_note"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Attachment")
    def attachment(self, obj):
        if not obj.file:
            return "None"
        url = reverse("resources:casestudy-attachment", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file_name)

    def delete_model(self, request, obj):
        services.casestudy_delete(case_studies=CaseStudy.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.casestudy_delete(case_studies=queryset)

    @admin.action(description="Publish the selected case studies as resources")
    def publish(self, request, queryset):
        for case_study in queryset:
            try:
                services.casestudy_publish(case_study_id=case_study.pk, staff_user=request.user)
            except services.ModerationError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"Published “{case_study.title}”; the submitter is emailed.")

    @admin.action(description="Return the selected case studies with a note")
    def return_with_note(self, request, queryset):
        form = ReturnNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for case_study in queryset:
                try:
                    services.casestudy_return(
                        case_study_id=case_study.pk, staff_user=request.user, note=form.cleaned_data["note"]
                    )
                except services.ModerationError as exc:
                    self.message_user(request, str(exc), messages.WARNING)
                else:
                    self.message_user(request, f"Returned “{case_study.title}”; the submitter is emailed.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Return case studies with a note",
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "resources/admin/casestudy_return_note.html", context)
