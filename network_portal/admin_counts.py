"""Counts that need staff attention, shown on the admin index (pending
members, failed emails, case studies to moderate). Each app registers its own
in its `<app>/attention.py`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from .registry import Registry


@dataclass(frozen=True)
class AdminCount:
    label: str
    count: Callable[[], int]
    urlname: str  # where staff act on them, e.g. "admin:members_member_changelist"
    query: str = ""  # e.g. "status__exact=pending"


admin_counts: Registry[AdminCount] = Registry("Admin counts", key=lambda item: item.label)


def register(item: AdminCount) -> AdminCount:
    return admin_counts.register(item)


def current() -> list[dict]:
    return [
        {
            "label": item.label,
            "url": f"{reverse(item.urlname)}{'?' if item.query else ''}{item.query}",
            "count": item.count(),
        }
        for item in admin_counts
    ]
