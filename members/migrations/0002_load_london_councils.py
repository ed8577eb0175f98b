"""Load London's 33 councils. Councils are data: staff edit them in admin, and
another region's councils can be added the same way without a release."""

import csv
from pathlib import Path

from django.db import migrations
from django.utils.text import slugify

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "london_councils.csv"


def load(apps, schema_editor):
    Council = apps.get_model("members", "Council")
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Council.objects.update_or_create(
                gss_code=row["gss_code"],
                defaults={
                    "name": row["name"],
                    "official_name": row["official_name"],
                    "abbr": row["abbr"],
                    "slug": slugify(row["name"]),
                    "email_domains": row["email_domains"],
                    "grid_col": int(row["grid_col"]),
                    "grid_row": int(row["grid_row"]),
                },
            )


def unload(apps, schema_editor):
    Council = apps.get_model("members", "Council")
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        codes = [row["gss_code"] for row in csv.DictReader(handle)]
    Council.objects.filter(gss_code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
