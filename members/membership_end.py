"""A registry of what happens when a membership ends.

members is the bottom feature app, so it cannot cancel a meeting registration
or a training booking itself. The apps above register a handler here (from
their AppConfig.ready()), and members' services call `run()` inside the same
transaction that ends the membership: deactivation, rejection, becoming a
former councillor, erasure. If any handler fails, the whole change rolls back.

    from members import membership_end

    def _cancel_my_bookings(*, user, now):
        ...

    membership_end.register(_cancel_my_bookings)
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction

Handler = Callable[..., object]

_handlers: list[Handler] = []


def register(handler: Handler) -> Handler:
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def registered() -> list[Handler]:
    return list(_handlers)


def run(*, user, now: datetime) -> None:
    """Call every handler for `user`. The caller holds the transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("membership_end.run() must be called inside the transaction that ends the membership.")
    for handler in _handlers:
        handler(user=user, now=now)
