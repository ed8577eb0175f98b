from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self):
        # Registers scheduled emails, calendar-feed events, personal data, admin counts and membership-end handlers.
        from . import calendar, membership, privacy, schedules  # noqa: F401
