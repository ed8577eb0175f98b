"""Counts that need staff attention, shown on the admin index (pending
members, failed emails, case studies to moderate). Each app registers its own."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class AdminCount:
    label: str
    count: Callable[[], int]
    urlname: str  # where staff act on them, e.g. "admin:members_member_changelist"
    query: str = ""  # e.g. "status__exact=pending"


_counts: list[AdminCount] = []


def register(item: AdminCount) -> AdminCount:
    _counts.append(item)
    return item


def current() -> list[dict]:
    return [
        {
            "label": item.label,
            "url": f"{reverse(item.urlname)}{'?' if item.query else ''}{item.query}",
            "count": item.count(),
        }
        for item in _counts
    ]
