from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        # Registers the scheduled emails, personal-data specs, calendar source and membership-end handler.
        from . import calendar, membership, privacy, schedules  # noqa: F401
