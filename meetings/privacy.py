"""The meetings app's models in the personal-data registry (network_portal.privacy)."""

from django.db import transaction

from network_portal.privacy import PersonalData, register
from network_portal.retention import ANONYMISE, RetentionRule, retention_rules

from .models import Feedback, Registration

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
            "file",
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
        kept_while_account="Who owns an open or past action is the meeting's record; erasure blanks the name.",
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
register(
    PersonalData(
        model="meetings.CalendarFeed",
        owner="user",
        personal=("token",),
        kept=("user", "created_at"),
        kept_while_account="The member's private feed address, in use while they have an account.",
    )
)


def _clear_access_needs(*, cutoff, now) -> int:
    with transaction.atomic():
        return Registration.objects.filter(meeting__ends_at__lt=cutoff).exclude(access_needs="").update(access_needs="")


def _clear_feedback_comments(*, cutoff, now) -> int:
    with transaction.atomic():
        return (
            Feedback.objects.filter(created_at__lt=cutoff)
            .exclude(comments="", topics_next_time="")
            .update(comments="", topics_next_time="")
        )


# Access needs may be health data, needed only to run the meeting.
retention_rules.register(
    RetentionRule(
        key="access_needs_cleared",
        model="meetings.Registration",
        age_field="meeting__ends_at",
        setting="RETENTION_ACCESS_NEEDS_DAYS",
        action=ANONYMISE,
        apply=_clear_access_needs,
    )
)
# The usefulness score stays in the meeting's figures; the member's words go.
retention_rules.register(
    RetentionRule(
        key="meeting_feedback_comments_cleared",
        model="meetings.Feedback",
        age_field="created_at",
        setting="RETENTION_MEETING_FEEDBACK_DAYS",
        action=ANONYMISE,
        apply=_clear_feedback_comments,
    )
)
