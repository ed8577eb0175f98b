from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class NetworkPortalConfig(AppConfig):
    default = True
    name = "network_portal"
    verbose_name = "Network portal"


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "network_portal.admin_site.PortalAdminSite"
