"""Search in embedded mode (SQLite) matches as PostgreSQL's full-text search does:
every word, in any order, across title, summary and body.

The SQLite side runs in a subprocess with its own DATABASE_URL, exactly as
`make run` does; the same resources and queries run on PostgreSQL here, so
the expected results come from PostgreSQL itself."""

import json

import pytest

from resources.models import Resource
from tests.embedded import run_on_sqlite
from tests.resources.factories import ResourceFactory

RESOURCES = [
    ("Debt advice for housing officers", "Money worries and mental health.", "Spotting distress early."),
    ("Housing and mental health briefing", "What housing teams can do.", "Secure homes support recovery."),
    ("Council tax debts", "Collection that does no harm.", "Tenants and housing association partners."),
    ("Employment support guide", "Work and wellbeing.", "Job centres and councils."),
]
QUERIES = ["housing debt", "debt housing", "Housing  DEBT", "housing -debt", "housing and debt", "employment"]

SQLITE_SEARCH = """
import json, sys
import django
django.setup()
from resources.models import Resource
from tests.resources.factories import ResourceFactory
for title, summary, body in json.loads(sys.argv[1]):
    ResourceFactory(title=title, summary=summary, body=body)
found = {q: sorted(Resource.objects.search(q).values_list("title", flat=True)) for q in json.loads(sys.argv[2])}
print(json.dumps(found))
"""


def _search_on_sqlite(tmp_path) -> dict[str, list[str]]:
    return run_on_sqlite(tmp_path, SQLITE_SEARCH, json.dumps(RESOURCES), json.dumps(QUERIES))


@pytest.mark.django_db
def test_embedded_search_for_housing_debt_matches_all_words_in_any_order_like_postgresql(tmp_path):
    for title, summary, body in RESOURCES:
        ResourceFactory(title=title, summary=summary, body=body)
    on_postgresql = {q: sorted(Resource.objects.search(q).values_list("title", flat=True)) for q in QUERIES}

    on_sqlite = _search_on_sqlite(tmp_path)

    assert on_sqlite == on_postgresql
    assert on_sqlite["housing debt"] == ["Council tax debts", "Debt advice for housing officers"]
