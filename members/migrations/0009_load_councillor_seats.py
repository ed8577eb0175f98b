"""Load each council's elected seats, and the election the count holds from,
from the project's copy of the reference data (members/data/README.md).
This sets starting values only: staff correct them in admin after elections
and boundary reviews."""

import csv
from datetime import date
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "london_councillor_seats.csv"


def load(apps, schema_editor):
    Council = apps.get_model("members", "Council")
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Council.objects.filter(gss_code=row["gss_code"]).update(
                councillor_seats=int(row["councillor_seats"]), seats_since=date.fromisoformat(row["elected"])
            )


def unload(apps, schema_editor):
    Council = apps.get_model("members", "Council")
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        codes = [row["gss_code"] for row in csv.DictReader(handle)]
    Council.objects.filter(gss_code__in=codes).update(councillor_seats=None, seats_since=None)


class Migration(migrations.Migration):
    dependencies = [("members", "0008_council_seats_since")]

    operations = [migrations.RunPython(load, unload)]
