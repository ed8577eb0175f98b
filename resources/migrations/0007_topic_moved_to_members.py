# The second half of moving Topic to the members app: the tags point at
# members.Topic and resources forgets its own Topic, in Django's state only
# (the link tables already refer to the renamed members_topic table).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_topic_from_resources"),
        ("resources", "0006_topic_table_to_members"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="resource",
                    name="topics",
                    field=models.ManyToManyField(blank=True, related_name="resources", to="members.topic"),
                ),
                migrations.AlterField(
                    model_name="casestudy",
                    name="topics",
                    field=models.ManyToManyField(blank=True, related_name="case_studies", to="members.topic"),
                ),
                migrations.DeleteModel(name="Topic"),
            ],
        ),
    ]
