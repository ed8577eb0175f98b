"""Personal-data registry entries for the security records (see members/privacy.py).

The audit log and the retention runs are kept whole on erasure: they are the
accountability record of who saw personal data, and hold ids and counts
rather than the data itself."""

from members.privacy import PersonalData, register

register(
    PersonalData(
        model="network_portal.AuditEvent",
        owner=None,
        kept=(
            "actor",
            "actor_email",
            "action",
            "subject_user",
            "detail",
            "row_count",
            "path",
            "ip_address",
            "created_at",
        ),
    )
)
register(PersonalData(model="network_portal.RetentionRun", owner=None, kept=("started_at", "counts")))
