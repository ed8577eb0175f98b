import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def snapshot_council_and_role(apps, schema_editor):
    # Existing bookings take their member's current council and role: the
    # best record there is of who they were when they booked.
    Booking = apps.get_model("training", "Booking")
    Member = apps.get_model("members", "Member")
    member = Member.objects.filter(pk=OuterRef("member_id"))
    Booking.objects.filter(member__isnull=False).update(
        council_id=Subquery(member.values("council_id")[:1]), role=Subquery(member.values("role")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_performance_indexes"),
        ("training", "0003_performance_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="council",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="training_bookings",
                to="members.council",
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="role",
            field=models.CharField(
                blank=True,
                choices=[
                    ("councillor", "Councillor"),
                    ("officer", "Council officer"),
                    ("partner", "Health or care partner"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="member",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="training_bookings",
                to="members.member",
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="counted_as_trainee",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(snapshot_council_and_role, migrations.RunPython.noop),
    ]
