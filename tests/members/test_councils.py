import csv
from pathlib import Path

import pytest

from members.models import Council

CSV = Path(__file__).resolve().parents[2] / "members" / "data" / "london_councils.csv"

pytestmark = pytest.mark.django_db


def test_data_migration_loads_the_33_london_councils():
    assert Council.objects.count() == 33
    assert Council.objects.filter(gss_code__regex=r"^E090000(0[1-9]|[12][0-9]|3[0-3])$").count() == 33


def test_councils_have_unique_gss_codes_slugs_and_grid_cells():
    councils = list(Council.objects.all())
    assert len({c.gss_code for c in councils}) == len(councils)
    assert len({c.slug for c in councils}) == len(councils)
    assert len({(c.grid_col, c.grid_row) for c in councils}) == len(councils)


def test_council_rows_match_the_project_copy_of_the_reference_data():
    with CSV.open(newline="") as handle:
        rows = {row["gss_code"]: row for row in csv.DictReader(handle)}
    for council in Council.objects.all():
        row = rows[council.gss_code]
        assert council.name == row["name"]
        assert council.email_domains == row["email_domains"]
        assert (council.grid_col, council.grid_row) == (int(row["grid_col"]), int(row["grid_row"]))
        assert council.councillor_seats is None


def test_shared_domain_belongs_to_both_richmond_and_wandsworth():
    matches = Council.objects.all().for_email_domain("richmondandwandsworth.gov.uk")
    assert sorted(c.name for c in matches) == ["Richmond upon Thames", "Wandsworth"]
