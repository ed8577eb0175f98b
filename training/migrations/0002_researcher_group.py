from django.db import migrations

GROUP = "Researcher"
PERMISSION = "export_research"


def create_group(apps, schema_editor):
    # Permissions are normally created after migrate; create this one now so
    # the group can hold it on a fresh database.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="training", model="researchexportlog")
    permission, _ = Permission.objects.get_or_create(
        codename=PERMISSION,
        content_type=content_type,
        defaults={"name": "Can download the evaluators' research export"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_courses_sessions_bookings_feedback"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
