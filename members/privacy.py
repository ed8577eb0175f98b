"""A member's "Download my data" and "Delete my account", over the personal-data
registry (network_portal.privacy), and this app's own entries in it.

Export gives every row each spec says belongs to the user; erasure anonymises
the `personal` fields of those rows.
"""

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import ProtectedError, Q

from network_portal import caching
from network_portal.outbox import emails_about
from network_portal.privacy import (  # noqa: F401 - the registry's names, for callers of this module
    SELF,
    ImproperlyConfigured,
    PersonalData,
    anonymise,
    data_fields,
    guarded_models,
    personal_data,
    register,
    registered,
    spec_for,
    unclassified_fields,
)
from network_portal.retention import ANONYMISE, DELETE, REMIND, RetentionRule, retention_rules

logger = logging.getLogger(__name__)

WITHHELD = "[another person's address, withheld]"


def export_user(user) -> dict:
    """Everything the registry says belongs to this user, as JSON-ready data.

    Other people's email addresses in those rows (the staff inbox a notice
    about the member went to, say) are withheld: they are not the member's."""
    own_addresses = _addresses_of(user)
    data = {}
    for spec in registered():
        if spec.owner is None and spec.rows is None:
            continue
        rows = _owned_rows(spec, user)
        if rows:
            data[spec.model] = [_row_data(spec, row, own_addresses) for row in rows]
    return data


def erase_user(user) -> dict[str, int]:
    """Anonymise every personal field of every row belonging to the user.

    Rows are collected before anything changes, because some finders match on
    the user's email, which is itself erased. Returns rows touched per model."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("erase_user must run inside the caller's transaction.")
    plan = [(spec, _owned_rows(spec, user)) for spec in registered() if spec.owner is not None or spec.rows]
    touched = {}
    for spec, rows in plan:
        for row in rows:
            if spec.erase:
                spec.erase(row)
            else:
                anonymise(row, spec.personal)
        if rows:
            touched[spec.model] = len(rows)
    return touched


def _owned_rows(spec: PersonalData, user) -> list[models.Model]:
    model = apps.get_model(spec.model)
    ids = set()
    if spec.owner == SELF:
        ids.add(user.pk)
    elif spec.owner:
        ids.update(model._base_manager.filter(**{spec.owner: user}).values_list("pk", flat=True))
    if spec.rows:
        ids.update(spec.rows(user).values_list("pk", flat=True))
    return list(model._base_manager.filter(pk__in=ids).order_by("pk"))


def _addresses_of(user) -> set[str]:
    EmailAddress = apps.get_model("account", "EmailAddress")
    addresses = set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return {address.lower() for address in addresses | {user.email}}


def _row_data(spec: PersonalData, row: models.Model, own_addresses: set[str]) -> dict:
    model = type(row)
    data = {"id": row.pk}
    for field in data_fields(model):
        if field.name not in spec.personal and field.name not in spec.kept:
            continue
        if isinstance(row, AbstractBaseUser) and field.name == "password":
            continue  # a hash is of no use to the member and of some use to an attacker
        value = _field_value(row, field)
        if isinstance(field, models.EmailField) and value and value.lower() not in own_addresses:
            value = WITHHELD
        data[field.name] = value
    return data


def _field_value(row, field):
    if field.many_to_many:
        return [str(item) for item in getattr(row, field.name).all()]
    value = getattr(row, field.attname)
    if field.is_relation and value is not None and not _points_at_people(field):
        # A readable label for reference data (council, session), never for other people.
        return {"id": value, "label": str(getattr(row, field.name))}
    if isinstance(field, models.FileField):
        return value.name if value else ""
    return value


def _points_at_people(field) -> bool:
    target = field.related_model
    return issubclass(target, AbstractBaseUser) or target._meta.label == "members.Member"


# --- This app's declarations, plus the shared rows it looks after ----------------


def _erase_user(user) -> None:
    anonymise(user, ("email", "first_name", "last_name"))
    # An unusable password also changes the session hash, so every session ends.
    type(user)._base_manager.filter(pk=user.pk).update(password=make_password(None), is_active=False)
    # The TOTP secret and recovery codes go, so nothing can sign in as the erased account.
    apps.get_model("mfa", "Authenticator").objects.filter(user=user).delete()


def _erase_outbox_email(email) -> None:
    anonymise(
        email, ("to_email", "reply_to", "subject", "body_text", "body_html", "attachments", "headers", "last_error")
    )
    # An unsent row must never go out to the erased address.
    type(email)._base_manager.filter(pk=email.pk, status__in=["pending", "sending"]).update(
        status="skipped", last_error="Skipped: the recipient erased their account before this was sent."
    )


def staff_notice_key_prefix(member_id: int) -> str:
    """Dedupe-key prefix of the staff emails about one member, so erasure finds them."""
    return f"staff:member:{member_id}:"


def _outbox_rows_about(user):
    member = _member_of(user)
    return emails_about(
        user=user, address=user.email, key_prefixes=[staff_notice_key_prefix(member.pk)] if member else []
    )


def _enquiries_from(user):
    return apps.get_model("members", "ContactEnquiry").objects.filter(email__iexact=user.email)


def _admin_log_about(user):
    """Admin history lines naming the user: the object's repr is their name."""
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    query = Q(content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk))
    member = _member_of(user)
    if member is not None:
        query |= Q(content_type=ContentType.objects.get_for_model(member), object_id=str(member.pk))
    query |= Q(object_repr__icontains=user.email) | Q(change_message__icontains=user.email)
    full_name = user.get_full_name().strip()
    if full_name:
        query |= Q(object_repr__icontains=full_name)
    return LogEntry.objects.filter(query)


def _member_of(user):
    return apps.get_model("members", "Member")._base_manager.filter(user=user).first()


register(
    PersonalData(
        model="members.User",
        owner=SELF,
        personal=("email", "first_name", "last_name", "password"),
        kept=("last_login", "is_superuser", "is_staff", "is_active", "date_joined", "groups", "user_permissions"),
        erase=_erase_user,
    )
)
register(
    PersonalData(
        model="members.Council",
        owner=None,
        kept=(
            "gss_code",
            "name",
            "official_name",
            "abbr",
            "slug",
            "email_domains",
            "grid_col",
            "grid_row",
            "councillor_seats",
            "seats_since",
            "subregion",
        ),
    )
)
register(PersonalData(model="members.Topic", owner=None, kept=("name", "slug", "position")))
register(
    PersonalData(
        model="members.Member",
        owner="user",
        personal=(
            "organisation",
            "ward",
            "job_title",
            "status_reason",
            "consent_directory",
            "consent_digest",
            "consent_research",
            "consent_public",
        ),
        kept=("user", "role", "council", "status", "status_changed_at", "interests", "created_at"),
    )
)
register(
    PersonalData(
        model="members.ConsentRecord",
        owner="member__user",
        kept=("member", "kind", "granted", "wording_version", "recorded_at"),
    )
)
register(
    PersonalData(
        model="members.Appointment",
        owner="member__user",
        kept=("member", "council", "role", "since", "until"),
    )
)
register(PersonalData(model="members.DataExport", owner="user", kept=("user", "exported_at", "row_count")))
register(
    PersonalData(
        model="members.Reconfirmation",
        owner="member__user",
        kept=("member", "requested_at", "deadline", "outcome", "answered_at"),
    )
)
register(
    PersonalData(
        model="members.ContactEnquiry",
        owner=None,
        rows=_enquiries_from,
        personal=("name", "email", "message"),
        kept=("council", "role", "status", "created_at", "answered_at"),
    )
)
register(
    PersonalData(
        model="network_portal.OutboxEmail",
        owner="user",
        rows=_outbox_rows_about,
        personal=("to_email", "reply_to", "subject", "body_text", "body_html", "attachments", "headers", "last_error"),
        kept=(
            "user",
            "kind",
            "dedupe_key",
            "status",
            "attempts",
            "not_before",
            "claimed_at",
            "created_at",
            "sent_at",
            "lane",
            "lease_expires_at",
            "sensitive",
        ),
        erase=_erase_outbox_email,
    )
)
register(
    PersonalData(
        model="account.EmailAddress",
        owner="user",
        personal=("email",),
        kept=("user", "verified", "primary"),
        kept_while_account="The addresses the member signs in and is written to with; deleted with the account.",
    )
)
# The authenticator app's secret and recovery codes: never exported (owner None),
# deleted with the user's own row on erasure (_erase_user).
register(
    PersonalData(
        model="mfa.Authenticator",
        owner=None,
        personal=("data",),
        kept=("user", "type", "created_at", "last_used_at"),
        kept_while_account="The sign-in factor of the account itself; deleted on erasure.",
    )
)
register(
    PersonalData(
        model="account.EmailConfirmation",
        owner="email_address__user",
        kept=("created", "sent", "key", "email_address"),
    )
)
register(
    PersonalData(
        model="admin.LogEntry",
        owner=None,
        rows=_admin_log_about,
        personal=("object_repr", "change_message"),
        kept=("action_time", "user", "content_type", "object_id", "action_flag"),
        kept_while_account="Django admin's history of staff changes; the lines naming the member are anonymised "
        "on erasure.",
    )
)


# --- Retention: accounts that never became members --------------------------


def _unverified_signups(*, cutoff, now) -> int:
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    users = get_user_model().objects.filter(date_joined__lt=cutoff, is_staff=False).exclude(pk__in=verified)
    return _delete_users(users)


def _rejected_applications(*, cutoff, now) -> int:
    Member = apps.get_model("members", "Member")
    rejected = Member.objects.filter(status=Member.Status.REJECTED, status_changed_at__lt=cutoff).values("user_id")
    return _delete_users(get_user_model().objects.filter(pk__in=rejected, is_staff=False))


def _delete_users(users) -> int:
    deleted = 0
    for user_id in users.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                # The filter again, under the lock, so an account verified or
                # re-approved since the query above is left alone.
                user = users.select_for_update().filter(pk=user_id).first()
                if user is not None:
                    # Meeting pages may name them as an action's owner.
                    caching.bump(caching.MEETING_LIST, caching.MEETING_PAGE)
                    user.delete()
                    deleted += 1
        except ProtectedError:
            # Evidence (e.g. a booking) points at the account: keep it for staff to review.
            logger.warning("Retention: user %s kept, other records still refer to it", user_id)
    return deleted


retention_rules.register(
    RetentionRule(
        key="unverified_signups_deleted",
        model="members.User",
        age_field="date_joined",
        setting="RETENTION_UNVERIFIED_SIGNUP_DAYS",
        action=DELETE,
        apply=_unverified_signups,
    )
)
retention_rules.register(
    RetentionRule(
        key="rejected_applications_deleted",
        model="members.User",
        age_field="member__status_changed_at",
        setting="RETENTION_REJECTED_DAYS",
        action=DELETE,
        apply=_rejected_applications,
    )
)


def _delete_enquiries(*, cutoff, now) -> int:
    ContactEnquiry = apps.get_model("members", "ContactEnquiry")
    with transaction.atomic():
        deleted, _ = ContactEnquiry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _erase_former_members(*, cutoff, now) -> int:
    from .services import former_members_erase

    return former_members_erase(left_before=cutoff)


def _unreviewed_notice() -> timedelta:
    return timedelta(days=settings.RETENTION_UNREVIEWED_NOTICE_DAYS)


def _remind_staff_of_unreviewed(*, cutoff, now) -> int:
    from .services import applications_unreviewed_remind

    return applications_unreviewed_remind(created_before=cutoff + _unreviewed_notice())


def _delete_unreviewed(*, cutoff, now) -> int:
    from .services import applications_unreviewed_delete

    return applications_unreviewed_delete(created_before=cutoff, reminded_before=now - _unreviewed_notice())


retention_rules.register(
    RetentionRule(
        key="contact_enquiries_deleted",
        model="members.ContactEnquiry",
        age_field="created_at",
        setting="RETENTION_ENQUIRY_DAYS",
        action=DELETE,
        apply=_delete_enquiries,
    )
)
# As if they had used "Delete my account": their figures stay, their personal data goes.
retention_rules.register(
    RetentionRule(
        key="former_members_erased",
        model="members.Member",
        age_field="status_changed_at",
        setting="RETENTION_FORMER_MEMBER_DAYS",
        action=ANONYMISE,
        apply=_erase_former_members,
    )
)
# Verified applications nobody reviewed: staff are reminded
# RETENTION_UNREVIEWED_NOTICE_DAYS before the deletion, then the applicant is told.
retention_rules.register(
    RetentionRule(
        key="unreviewed_applications_reminded",
        model="members.Member",
        age_field="created_at",
        setting="RETENTION_UNREVIEWED_DAYS",
        action=REMIND,
        apply=_remind_staff_of_unreviewed,
    )
)
retention_rules.register(
    RetentionRule(
        key="unreviewed_applications_deleted",
        model="members.User",
        age_field="member__created_at",
        setting="RETENTION_UNREVIEWED_DAYS",
        action=DELETE,
        apply=_delete_unreviewed,
    )
)
register(
    PersonalData(
        # Written by staff to many members: about nobody in particular. The
        # staff author's link goes (SET_NULL) when that login is deleted.
        model="members.Message",
        owner=None,
        kept=(
            "subject",
            "body",
            "kind",
            "audience",
            "audience_object_id",
            "councils",
            "roles",
            "champions_only",
            "status",
            "recipient_count",
            "created_by",
            "sent_by",
            "created_at",
            "queued_at",
            "sent_at",
        ),
    )  # fmt: skip
)
