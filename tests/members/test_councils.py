import csv
from datetime import date
from pathlib import Path

import pytest

from members.models import Council

CSV = Path(__file__).resolve().parents[2] / "members" / "data" / "london_councils.csv"
SEATS_CSV = CSV.with_name("london_councillor_seats.csv")

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


def test_seat_counts_and_their_election_dates_load_from_the_project_copy():
    with SEATS_CSV.open(newline="") as handle:
        rows = {row["gss_code"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 33
    for council in Council.objects.all():
        row = rows[council.gss_code]
        assert council.councillor_seats == int(row["councillor_seats"])
        assert council.seats_since.isoformat() == row["elected"]


def test_london_has_1917_seats_1817_in_the_boroughs_and_100_in_the_city():
    city = Council.objects.get(gss_code="E09000001")
    assert (city.name, city.councillor_seats, city.seats_since.isoformat()) == ("City of London", 100, "2022-03-23")
    boroughs = Council.objects.exclude(pk=city.pk)
    assert boroughs.count() == 32
    assert boroughs.seat_total() == 1817
    assert set(boroughs.values_list("seats_since", flat=True)) == {date(2022, 5, 5)}
    assert Council.objects.seat_total() == 1917


def test_an_unknown_seat_count_adds_nothing_to_the_total():
    Council.objects.filter(gss_code="E09000001").update(councillor_seats=None)
    assert Council.objects.seat_total() == 1817


def test_shared_domain_belongs_to_both_richmond_and_wandsworth():
    matches = Council.objects.all().for_email_domain("richmondandwandsworth.gov.uk")
    assert sorted(c.name for c in matches) == ["Richmond upon Thames", "Wandsworth"]
