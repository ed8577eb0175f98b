"""The training app's models in the personal-data registry (network_portal.privacy).

Bookings, ratings and scores are kept on erasure so the counts and the
headline figure stay true; anything a member wrote in their own words goes."""

from django.utils import timezone

from network_portal import privileges
from network_portal.privacy import PersonalData, register
from network_portal.retention import ANONYMISE, RetentionRule, retention_rules

from .models import FEEDBACK_SCORES, FOLLOWUP_EVIDENCE, FOLLOWUP_OWN_WORDS, Booking


def _erase_booking(booking) -> None:
    # A deleted account must not keep a seat: cancelling frees it for the next
    # person waiting. Staff's note on why they booked the member goes too.
    from .services import booking_cancel

    if booking.is_active and booking.session.starts_at > timezone.now():
        booking_cancel(booking=booking)
    if booking.audience_override_reason:
        type(booking).objects.filter(pk=booking.pk).update(audience_override_reason="")


register(
    PersonalData(
        model="training.Course",
        owner=None,
        kept=(
            "title",
            "slug",
            "summary",
            "description",
            "trainer",
            "duration_minutes",
            "audience",
            "learning_outcomes",
            "created_at",
        ),
    )
)
register(
    PersonalData(
        model="training.Session",
        owner=None,
        kept=(
            "course",
            "council",
            "starts_at",
            "ends_at",
            "mode",
            "venue",
            "joining_url",
            "capacity",
            "booking_deadline",
            "status",
            "sequence",
            "rescheduled_at",
            "cancellation_reason",
            "created_at",
        ),
    )
)
register(
    PersonalData(
        model="training.Booking",
        owner="member__user",
        personal=("audience_override_reason",),
        kept=(
            "session",
            "member",
            *Booking.RECORD_FIELDS,
            "anonymised_at",
            "counted_as_trainee",
        ),
        erase=_erase_booking,
    )
)
register(
    PersonalData(
        model="training.Feedback",
        owner="booking__member__user",
        personal=("will_do_differently", "testimonial"),
        kept_while_account="The evaluation's evidence and published testimonials; the member's words go on "
        "erasure, and the link to them when the booking is anonymised.",
        kept=(
            "booking",
            *FEEDBACK_SCORES,
            "testimonial_consent",
            "research_consent",
            "testimonial_hidden",
            "superseded",
            "testimonial_approved_at",
            "testimonial_approved_by",
            "testimonial_withdrawn_at",
            "submitted_at",
        ),
    )
)
register(
    PersonalData(
        model="training.FollowUp",
        owner="booking__member__user",
        personal=FOLLOWUP_OWN_WORDS,
        kept_while_account="The follow-up evaluation's evidence of policy change; the member's words go on "
        "erasure, and the link to them when the booking is anonymised.",
        kept=(
            "booking",
            "wave",
            *(name for name in FOLLOWUP_EVIDENCE if name not in FOLLOWUP_OWN_WORDS),
            "research_consent",
            "submitted_at",
        ),
    )
)
register(
    PersonalData(
        model="training.ResearchExportLog",
        owner="user",
        kept=("user", "kind", "row_count", "downloaded_at", "project", "filters"),
    )
)
register(
    PersonalData(
        model="training.ResearchProject",
        owner=None,
        kept=(
            "name",
            "evaluator_organisation",
            "purpose",
            "agreement_signed_on",
            "expires_on",
            "k",
            "researchers",
            "key_salt",
            "created_at",
        ),
    )
)


def _anonymise_bookings(*, cutoff, now) -> int:
    from .services import bookings_anonymise

    return bookings_anonymise(ended_before=cutoff, now=now)


# Who attended goes two years after the session; every figure stays (see bookings_anonymise).
retention_rules.register(
    RetentionRule(
        key="bookings_anonymised",
        model="training.Booking",
        age_field="session__ends_at",
        setting="RETENTION_BOOKING_DAYS",
        action=ANONYMISE,
        apply=_anonymise_bookings,
    )
)
register(
    PersonalData(
        model="training.Commitment",
        owner=None,
        # A council's public record. The reporter and verifier links are staff
        # bookkeeping: erasing an account empties them (SET_NULL), nothing else.
        kept=(
            "council",
            "kind",
            "service_area",
            "summary",
            "happened_on",
            "evidence_url",
            "evidence_file",
            "evidence_file_name",
            "source",
            "followup",
            "reported_by",
            "status",
            "verified_by",
            "verified_at",
            "created_at",
        ),
    )
)


# Researchers download a pseudonymised export of other people's answers: a
# privileged permission, gated by MFA (network_portal.privileges).
privileges.register_permission("training.export_research")
