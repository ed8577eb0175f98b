"""What ending a membership ends in the training app (see members.membership_end)."""

from members import membership_end

from . import services


@membership_end.register
def _end_bookings(*, user, now):
    services.bookings_end_for_user(user=user, now=now)
