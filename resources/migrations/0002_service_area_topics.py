from django.db import migrations
from django.utils.text import slugify

TOPICS = [
    "Social care",
    "Housing",
    "Environment",
    "Education",
    "Employment",
    "Leisure",
    "Public health",
    "Children and young people",
    "Suicide prevention",
    "Workforce wellbeing",
]


def load(apps, schema_editor):
    Topic = apps.get_model("resources", "Topic")
    for position, name in enumerate(TOPICS):
        Topic.objects.update_or_create(slug=slugify(name), defaults={"name": name, "position": position})


def unload(apps, schema_editor):
    apps.get_model("resources", "Topic").objects.filter(slug__in=[slugify(n) for n in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
