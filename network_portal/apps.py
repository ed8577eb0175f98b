from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class NetworkPortalConfig(AppConfig):
    default = True
    name = "network_portal"
    verbose_name = "Network portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_mark_start
        from .registry import discover

        user_logged_in.connect(session_mark_start, dispatch_uid="network_portal.session_mark_start")
        # Every app's registrations (personal data, retention, schedules, calendar, admin counts).
        discover()


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "network_portal.admin_site.PortalAdminSite"
