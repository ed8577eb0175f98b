"""Fill each council's London Plan sub-region from the project copy of the
council reference data (members/data/README.md). Staff can correct it in admin."""

import csv
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "london_councils.csv"


def load(apps, schema_editor):
    Council = apps.get_model("members", "Council")
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Council.objects.filter(gss_code=row["gss_code"]).update(subregion=row["london_plan_subregion"])


def unload(apps, schema_editor):
    apps.get_model("members", "Council").objects.update(subregion="")


class Migration(migrations.Migration):
    dependencies = [("members", "0010_council_subregion")]

    operations = [migrations.RunPython(load, unload)]
