"""How the apps plug into the ground floor.

The platform offers a few registries (personal data and retention rules,
scheduled emails, calendar sources, admin "needs attention" counts, scale-seed
steps). An app fills them from modules with conventional names, listed in
PLUGIN_MODULES, and discover() imports those modules for every project app at
start-up, the way Django's admin finds admin.py. The ground floor never names
an app: it learns them from INSTALLED_APPS.
"""

from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Generic, TypeVar

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

T = TypeVar("T")

# <app>/privacy.py: personal-data fields and retention rules
# <app>/schedules.py: scheduled emails
# <app>/calendar.py: events for the member's calendar feed
# <app>/attention.py: counts on the admin index that need staff attention
# <app>/seeding.py: the app's step of `manage.py seed_scale`
# <app>/membership.py: what the app ends when a membership ends
# <app>/door.py: today's door registers (network_portal.door_register)
# <app>/audiences.py: who staff messages can go to (the bottom app holds that registry)
PLUGIN_MODULES = ("privacy", "schedules", "calendar", "attention", "seeding", "membership", "door", "audiences")


class Registry(Generic[T]):
    """Named entries, kept in the order they were registered.

    Registering the same entry twice (a module imported again) is harmless;
    two different entries under one key is a mistake and stops start-up."""

    def __init__(self, name: str, *, key: Callable[[T], str]):
        self.name = name
        self._key = key
        self.entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        key = self._key(entry)
        existing = self.entries.get(key)
        if existing is not None and existing != entry:
            raise ImproperlyConfigured(f"{self.name}: {key} is registered twice with different values.")
        self.entries[key] = entry
        return entry

    def unregister(self, entry: T) -> None:
        self.entries.pop(self._key(entry), None)

    def get(self, key: str) -> T | None:
        return self.entries.get(key)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self.entries.values()))

    def __len__(self) -> int:
        return len(self.entries)


def project_apps() -> list[AppConfig]:
    """The apps that are this project's own code, as opposed to Django's and libraries'."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base) and "site-packages" not in Path(config.path).parts
    ]


def app_modules(name: str) -> list[ModuleType]:
    """`<app>.<name>` of every project app that has one, imported, in INSTALLED_APPS order."""
    return [
        import_module(f"{config.name}.{name}") for config in project_apps() if module_has_submodule(config.module, name)
    ]


def discover() -> None:
    """Import every project app's plug-in modules (called once, from AppConfig.ready())."""
    for name in PLUGIN_MODULES:
        app_modules(name)
