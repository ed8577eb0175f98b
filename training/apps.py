from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from . import signals  # noqa: F401 - retires the cached My account section on writes
