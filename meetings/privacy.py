"""The meetings app's models in the personal-data registry (members.privacy)."""

from members.privacy import PersonalData, register

register(
    PersonalData(
        model="meetings.Meeting",
        owner=None,
        kept=(
            "title",
            "slug",
            "starts_at",
            "ends_at",
            "format",
            "venue_name",
            "venue_address",
            "joining_url",
            "joining_notes",
            "chair",
            "summary",
            "agenda",
            "in_person_capacity",
            "registration_closes_at",
            "status",
            "cancellation_reason",
            "minutes",
            "minutes_published_at",
            "recording_url",
            "sequence",
            "rescheduled_at",
            "created_at",
            "updated_at",
        ),
    )
)
register(
    PersonalData(
        model="meetings.Registration",
        owner="user",
        personal=("access_needs",),
        kept=("meeting", "user", "mode", "status", "attendance", "created_at", "cancelled_at"),
    )
)
register(
    PersonalData(
        model="meetings.Paper",
        owner=None,
        kept=(
            "meeting",
            "title",
            "kind",
            "visibility",
            "file_key",
            "file_name",
            "size",
            "link",
            "position",
            "created_at",
        ),
    )
)
# The owner's name may be typed as text when an action is theirs: that text is theirs too.
register(
    PersonalData(
        model="meetings.Action",
        owner="owner",
        personal=("owner_text",),
        kept=("meeting", "description", "owner", "council", "due_on", "status", "created_at", "updated_at"),
    )
)
# The rating counts stay in the meeting's summary; what the member wrote goes.
register(
    PersonalData(
        model="meetings.Feedback",
        owner="registration__user",
        personal=("topics_next_time", "comments"),
        kept=("registration", "usefulness", "created_at"),
    )
)
# Erasing blanks the token to a unique placeholder, so the old feed address stops working.
register(PersonalData(model="meetings.CalendarFeed", owner="user", personal=("token",), kept=("user", "created_at")))
