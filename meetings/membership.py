"""What ending a membership ends in the meetings app (see members.membership_end)."""

from members import membership_end

from . import services


@membership_end.register
def _end_registrations(*, user, now):
    services.registrations_end_for_user(user=user, now=now)
