"""Who a staff message can go to, beyond groups of approved members.

Feature apps above members (training, meetings) register the audiences they
own, such as "everyone booked on a session", from their audiences.py, which
network_portal.registry.discover() imports; the members app never imports them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from network_portal.registry import Registry


@dataclass(frozen=True)
class Audience:
    key: str  # stored on Message.audience, e.g. "training.session"
    label: str  # e.g. "Booked on a training session"
    options: Callable[[], list[tuple[int, str]]]  # (object id, label) that staff may choose from
    members: Callable[[int], QuerySet]  # the Member rows for one object, before approval and consent filters
    describe: Callable[[int], str]  # "bookings of <session>", for the preview and the audit log


audiences: Registry[Audience] = Registry("Message audiences", key=lambda audience: audience.key)


def register(audience: Audience) -> Audience:
    return audiences.register(audience)


def get(key: str) -> Audience | None:
    return audiences.get(key)


def registered() -> list[Audience]:
    return list(audiences)
