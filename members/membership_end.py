"""What happens when a membership ends.

members is the bottom feature app, so it cannot cancel a meeting registration
or a training booking itself. The apps above register a handler in their
`<app>/membership.py` (found by network_portal.registry.discover()), and
members' services call `run()` inside the same transaction that ends the
membership: deactivation, rejection, becoming a former councillor, erasure. If
any handler fails, the whole change rolls back.

    from members.membership_end import membership_end_handlers

    @membership_end_handlers.register
    def _cancel_my_bookings(*, user, now):
        ...
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from network_portal.registry import Registry

Handler = Callable[..., object]

membership_end_handlers: Registry[Handler] = Registry(
    "Membership-end handlers", key=lambda handler: f"{handler.__module__}.{handler.__qualname__}"
)


def run(*, user, now: datetime) -> None:
    """Call every handler for `user`. The caller holds the transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("membership_end.run() must be called inside the transaction that ends the membership.")
    for handler in membership_end_handlers:
        handler(user=user, now=now)
