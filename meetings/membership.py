"""What ending a membership ends in the meetings app (see members.membership_end)."""

from members.membership_end import membership_end_handlers

from . import services


@membership_end_handlers.register
def _end_registrations(*, user, now):
    services.registrations_end_for_user(user=user, now=now)
