"""Counts that need staff attention, shown on the admin index (pending
members, failed emails, case studies to moderate). Each app registers its own
in its `<app>/attention.py`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from .registry import Registry


@dataclass(frozen=True)
class AdminCount:
    label: str
    count: Callable[[], int]
    urlname: str  # where staff act on them, e.g. "admin:members_member_changelist"
    query: str = ""  # e.g. "status__exact=pending"


@dataclass(frozen=True)
class AdminCountGroup:
    """Several figures read in one query (the outbox's backlog, say): figures()
    returns {name: value}, and each item's count is called with that dict."""

    label: str
    figures: Callable[[], dict]
    items: tuple[AdminCount, ...]


# Single counts and groups, in the order shown.
admin_counts: Registry[AdminCount | AdminCountGroup] = Registry("Admin counts", key=lambda item: item.label)


def register(item: AdminCount | AdminCountGroup) -> AdminCount | AdminCountGroup:
    return admin_counts.register(item)


def register_changelist_count(label: str, rows: Callable[[], QuerySet], *, query: str = "") -> AdminCount:
    """Count rows() and link to their model's admin list, filtered by query
    (which should select the same rows there)."""
    opts = rows().model._meta  # a lazy QuerySet: no query runs at start-up
    return register(
        AdminCount(
            label=label,
            urlname=f"admin:{opts.app_label}_{opts.model_name}_changelist",
            query=query,
            count=lambda: rows().count(),
        )
    )


def current() -> list[dict]:
    rows = []
    for entry in admin_counts:
        if isinstance(entry, AdminCountGroup):
            figures = entry.figures()
            rows += [_row(item, item.count(figures)) for item in entry.items]
        else:
            rows.append(_row(entry, entry.count()))
    return rows


def _row(item: AdminCount, count) -> dict:
    return {
        "label": item.label,
        "url": f"{reverse(item.urlname)}{'?' if item.query else ''}{item.query}",
        "count": count,
    }
