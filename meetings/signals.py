"""Retire every member's cached "My meetings" (meetings.templatetags.meetings.my_meetings)
on any save or delete of what it shows: through a service, the admin or a cascade.
Bulk update() sends no signal, so the services that use it bump MY_MEETINGS themselves."""

from django.db.models.signals import post_delete, post_save

from network_portal import caching

from .models import CalendarFeed, Meeting, Registration


def _retire_my_meetings(**kwargs) -> None:
    caching.bump(caching.MY_MEETINGS)


# Any member's registration counts: it moves the others' places on the waiting list.
for model in (Registration, Meeting, CalendarFeed):
    for signal in (post_save, post_delete):
        signal.connect(_retire_my_meetings, sender=model, dispatch_uid=f"my-meetings-{model.__name__}")
