from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"

    def ready(self):
        # Registers the app's personal data and its scheduled email (the digest).
        from . import privacy, schedules  # noqa: F401
