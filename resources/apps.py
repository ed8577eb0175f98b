from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"

    def ready(self):
        from . import signals  # noqa: F401 - retires the cached My account section on writes
