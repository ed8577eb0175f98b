"""Resource and case-study files move from a string `file_key` to a FileField
on the private storage. The stored names are copied as they are, so every
file stays where it is on disk and is served by the same URLs."""

from django.db import migrations, models
from django.db.models import F, Q

import network_portal.uploads


def keys_to_files(apps, schema_editor):
    for model in ("Resource", "CaseStudy"):
        apps.get_model("resources", model).objects.exclude(file_key="").update(file=F("file_key"))


def files_to_keys(apps, schema_editor):
    for model in ("Resource", "CaseStudy"):
        apps.get_model("resources", model).objects.exclude(file="").update(file_key=F("file"))


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0007_topic_moved_to_members"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="resource", name="resource_published_has_file_or_url"),
        migrations.RemoveConstraint(model_name="resource", name="resource_not_both_file_and_url"),
        migrations.AddField(
            model_name="resource",
            name="file",
            field=network_portal.uploads.PrivateFileField(blank=True, default="", folder="resources"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="casestudy",
            name="file",
            field=network_portal.uploads.PrivateFileField(blank=True, default="", folder="case-studies"),
            preserve_default=False,
        ),
        migrations.RunPython(keys_to_files, files_to_keys, elidable=False),
        migrations.RemoveField(model_name="resource", name="file_key"),
        migrations.RemoveField(model_name="casestudy", name="file_key"),
        migrations.AddConstraint(
            model_name="resource",
            constraint=models.CheckConstraint(
                condition=~(Q(file="") & Q(url="")) | Q(status="draft") | Q(kind="case_study"),
                name="resource_published_has_file_or_url",
            ),
        ),
        migrations.AddConstraint(
            model_name="resource",
            constraint=models.CheckConstraint(condition=Q(file="") | Q(url=""), name="resource_not_both_file_and_url"),
        ),
    ]
