# Topic moves down to the members app (members' interests point at it, and
# members sits below resources). The table and its rows stay: this step only
# renames the table to the members app's name; 0007 and members 0007 move the
# model in Django's state without touching the database.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("resources", "0005_performance_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="topic", table="members_topic")],
        ),
    ]
