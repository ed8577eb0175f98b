"""A commitment's evidence document moves from a string `evidence_file_key` to a
FileField on the private storage, as resources and meeting papers did. The stored
names are copied as they are, so every file stays where it is and is served by
the same URL."""

from django.db import migrations, models
from django.db.models import F, Q

import network_portal.uploads


def keys_to_files(apps, schema_editor):
    apps.get_model("training", "Commitment").objects.exclude(evidence_file_key="").update(
        evidence_file=F("evidence_file_key")
    )


def files_to_keys(apps, schema_editor):
    apps.get_model("training", "Commitment").objects.exclude(evidence_file="").update(
        evidence_file_key=F("evidence_file")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0010_council_commitments"),
    ]

    # The constraint names the old column, so it goes first and comes back last:
    # reversed, the keys are copied back before it is checked again.
    operations = [
        migrations.RemoveConstraint(model_name="commitment", name="commitment_has_evidence"),
        migrations.AddField(
            model_name="commitment",
            name="evidence_file",
            field=network_portal.uploads.PrivateFileField(
                blank=True, default="", editable=False, folder="commitments", verbose_name="evidence document"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(keys_to_files, files_to_keys, elidable=False),
        migrations.RemoveField(model_name="commitment", name="evidence_file_key"),
        migrations.AddConstraint(
            model_name="commitment",
            constraint=models.CheckConstraint(
                condition=~Q(evidence_url="") | ~Q(evidence_file=""), name="commitment_has_evidence"
            ),
        ),
    ]
