"""The door register: one phone-first staff page per event, shared by training
sessions and meetings.

Each app supplies its own rows (who is on the register and whether they came)
and its own service calls; this module holds what the two pages have in
common: the row shape, search, counts, the walk-in candidates, the redirect
back to the same place, and the list of today's registers for the dashboards.
Each app registers a source of today's events from its door.py (network_portal.registry)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone

from .registry import Registry

ATTENDED = "attended"
NO_SHOW = "no-show"
UNKNOWN = "unknown"
STATE_LABELS = {ATTENDED: "Attended", NO_SHOW: "No-show", UNKNOWN: "Not marked"}
# Enough to find someone by name at the door without listing the whole membership.
MAX_WALK_IN_MATCHES = 10


@dataclass(frozen=True)
class Person:
    """One row: pk is what a mark POST names (a booking or a registration)."""

    pk: int
    name: str
    detail: str
    state: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class Candidate:
    """An approved member who is not on the register: a possible walk-in."""

    pk: int
    name: str
    detail: str


@dataclass(frozen=True)
class TodayEvent:
    label: str
    url: str


class MarkForm(forms.Form):
    state = forms.ChoiceField(choices=[(ATTENDED, "Attended"), (NO_SHOW, "No-show")])
    q = forms.CharField(required=False, max_length=100)


class WalkInForm(forms.Form):
    member = forms.IntegerField(min_value=1)
    q = forms.CharField(required=False, max_length=100)


def matches(text: str, query: str) -> bool:
    words = query.lower().split()
    return all(word in text.lower() for word in words)


def page_context(*, title: str, when, people: Iterable[Person], query: str, candidates: Iterable[Candidate],
                 mark_url: Callable[[int], str], walk_in_url: str, note: str = "") -> dict:  # fmt: skip
    """The template context for templates/network_portal/door_register.html."""
    people = list(people)
    shown = [person for person in people if matches(f"{person.name} {person.detail}", query)] if query else people
    return {
        "title": title,
        "when": when,
        "people": [(person, mark_url(person.pk)) for person in shown],
        "total": len(people),
        "attended": sum(person.state == ATTENDED for person in people),
        "no_show": sum(person.state == NO_SHOW for person in people),
        "unmarked": sum(person.state == UNKNOWN for person in people),
        "query": query,
        "candidates": list(candidates)[:MAX_WALK_IN_MATCHES] if query else [],
        "walk_in_url": walk_in_url,
        "note": note,
        "mark_choices": [(ATTENDED, "Attended"), (NO_SHOW, "No-show")],
    }


def back_to_register(request, register_url: str, *, query: str = "", anchor: str = "", message: str = "",
                     error: bool = False):  # fmt: skip
    """Redirect to the register with the same search, at the same row, with a
    message that the page's live region reads out."""
    if message:
        (messages.error if error else messages.success)(request, message)
    query_string = f"?{urlencode({'q': query})}" if query else ""
    return redirect(f"{register_url}{query_string}{'#' + anchor if anchor else ''}")


# --- Today's registers, for the staff dashboard and the admin index -----------

sources: Registry[Callable[[date], list[TodayEvent]]] = Registry(
    "door registers", key=lambda source: f"{source.__module__}.{source.__qualname__}"
)


def register_source(source: Callable[[date], list[TodayEvent]]) -> None:
    sources.register(source)


def today(day: date | None = None) -> list[TodayEvent]:
    day = day or timezone.localdate()
    return [event for source in sources for event in source(day)]
