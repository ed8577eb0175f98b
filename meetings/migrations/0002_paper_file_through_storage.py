"""A paper's file moves from a string `file_key` to a FileField on the private
storage. The stored names are copied as they are, so every file stays where it
is on disk and is served by the same URL."""

from django.db import migrations, models
from django.db.models import F, Q

import network_portal.uploads


def keys_to_files(apps, schema_editor):
    apps.get_model("meetings", "Paper").objects.exclude(file_key="").update(file=F("file_key"))


def files_to_keys(apps, schema_editor):
    apps.get_model("meetings", "Paper").objects.exclude(file="").update(file_key=F("file"))


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_meetings"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="paper", name="paper_file_or_link"),
        migrations.AddField(
            model_name="paper",
            name="file",
            field=network_portal.uploads.PrivateFileField(blank=True, default="", folder="meeting-papers"),
            preserve_default=False,
        ),
        migrations.RunPython(keys_to_files, files_to_keys, elidable=False),
        migrations.RemoveField(model_name="paper", name="file_key"),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="paper_file_or_link",
            ),
        ),
    ]
