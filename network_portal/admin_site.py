from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from . import admin_counts


class PortalAdminSite(admin.AdminSite):
    site_header = "Mentally Healthier Councils Network: staff admin"
    site_title = "Network Portal admin"
    index_title = "Run the network"

    def login(self, request, extra_context=None):
        # Staff sign in through allauth, so its rate limits and the MFA step apply.
        return secure_admin_login(super().login)(request, extra_context)

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
