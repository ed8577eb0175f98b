from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self):
        # Registers scheduled emails, calendar-feed events, personal data and admin counts.
        from . import calendar, privacy, schedules  # noqa: F401
