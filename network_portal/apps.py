from django.apps import AppConfig


class NetworkPortalConfig(AppConfig):
    name = "network_portal"
    verbose_name = "Network portal"
