# Topic moves here from the resources app, keeping its table (renamed by
# resources 0006) and every row and link: only Django's state changes.
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, source, target):
    # Permissions and admin history follow the model to its new app label.
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=target, model="topic").exists():
        ContentType.objects.filter(app_label=source, model="topic").update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="resources", target="members")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="members", target="resources")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0006_performance_indexes"),
        ("resources", "0006_topic_table_to_members"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Topic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("slug", models.SlugField(max_length=100, unique=True)),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={"ordering": ["position", "name"]},
                ),
                migrations.AlterField(
                    model_name="member",
                    name="interests",
                    field=models.ManyToManyField(blank=True, related_name="interested_members", to="members.topic"),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
