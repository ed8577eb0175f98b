from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("network_portal", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("skipped", "Skipped"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]
