from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject

from . import admin_counts


class PortalAdminSite(admin.AdminSite):
    site_header = "Mentally Healthier Councils Network: staff admin"
    site_title = "Network Portal admin"
    index_title = "Run the network"

    def login(self, request, extra_context=None):
        # Staff sign in through allauth, so its rate limits and the MFA step apply.
        return secure_admin_login(super().login)(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Built when first read. Every admin page's context carries the app list for the
        navigation sidebar, whose cached copy (network_portal.admin_nav) usually serves instead."""
        build = super().get_app_list
        return SimpleLazyObject(lambda: build(request, app_label))

    def index(self, request, extra_context=None):
        context = {"attention": admin_counts.current(), **(extra_context or {})}
        return super().index(request, context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: staff can read them but never add, edit or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def cancel_confirmation(model_admin, request, *, template: str, title: str, events, form) -> TemplateResponse:
    """The confirmation step of a "cancel and tell everyone" action: the events
    with their counts and the reason form, posted back to the same action."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "events": events,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, template, context)
