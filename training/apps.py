from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        # Registers the scheduled emails, personal-data specs and calendar source.
        from . import calendar, privacy, schedules  # noqa: F401
