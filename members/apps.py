from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from . import privacy, signals  # noqa: F401 - registers personal data and the allauth hooks
