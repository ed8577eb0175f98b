from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from . import signals  # noqa: F401 - connects the allauth hooks
