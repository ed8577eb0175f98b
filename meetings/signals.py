"""Retire every member's cached "My meetings" (meetings.templatetags.meetings.my_meetings)
on any save or delete of what it shows: through a service, the admin or a cascade.
Bulk update() sends no signal, so the services that use it bump MY_MEETINGS themselves."""

from network_portal import caching

from .models import CalendarFeed, Meeting, Registration

# Any member's registration counts: it moves the others' places on the waiting list.
caching.bump_on_writes(caching.MY_MEETINGS, [Registration, Meeting, CalendarFeed])
