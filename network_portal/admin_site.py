from django.contrib import admin

from . import admin_counts


class PortalAdminSite(admin.AdminSite):
    site_header = "Mentally Healthier Councils Network: staff admin"
    site_title = "Network Portal admin"
    index_title = "Run the network"

    def index(self, request, extra_context=None):
        context = {"attention": admin_counts.current(), **(extra_context or {})}
        return super().index(request, context)
