from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"

    def ready(self):
        from . import privacy  # noqa: F401 - registers the app's personal data
