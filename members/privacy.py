"""The personal-data registry: every field of every model, classified once.

Each app declares its models in `<app>/privacy.py` (imported from its
AppConfig.ready()):

    register(PersonalData(
        model="training.Booking",
        owner="member__user",                  # ORM path from the model to the User
        personal=("notes",),                   # exported, and anonymised on erasure
        kept=("id", "member", "session", "status", "created_at"),
    ))

"Download my data" exports every row each spec says belongs to the user, and
"Delete my account" anonymises the `personal` fields of those rows. A test
fails when a model gains a field that is in neither list, so new personal
data cannot slip past either. An auto-created `id` primary key counts as kept.

`owner` is None for models that belong to nobody (reference data). SELF marks
the user model itself. `rows(user)` adds rows the owner path cannot reach, such
as a staff notification about the member. `erase(row)` replaces the default
anonymiser for one row and must save (or delete) it itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Q

SELF = "self"
ERASED_TEXT = "[erased]"
WITHHELD = "[another person's address, withheld]"

# Apps whose every model must be classified, plus allauth's email rows.
GUARDED_APPS = ("members", "meetings", "training", "resources", "network_portal")
GUARDED_MODELS = ("account.EmailAddress",)


@dataclass(frozen=True)
class PersonalData:
    model: str  # "app_label.ModelName"
    owner: str | None  # ORM path from the model to the User, e.g. "member__user"; None if no owner
    personal: tuple[str, ...] = ()  # exported, and anonymised on erasure
    kept: tuple[str, ...] = ()  # not personal (ids, foreign keys, dates, counts, ratings): kept on erasure
    erase: Callable | None = None  # optional custom anonymiser for a row
    rows: Callable | None = None  # optional rows(user) -> QuerySet of further rows about the user


_registry: dict[str, PersonalData] = {}


def register(spec: PersonalData) -> None:
    overlap = set(spec.personal) & set(spec.kept)
    if overlap:
        raise ImproperlyConfigured(f"{spec.model}: {sorted(overlap)} listed as both personal and kept.")
    existing = _registry.get(spec.model)
    if existing is not None and existing != spec:
        raise ImproperlyConfigured(f"{spec.model} is registered twice with different fields.")
    _registry[spec.model] = spec


def registered() -> list[PersonalData]:
    return list(_registry.values())


def spec_for(model: type[models.Model]) -> PersonalData | None:
    return _registry.get(model._meta.label)


def guarded_models() -> list[type[models.Model]]:
    found = [m for label in GUARDED_APPS for m in apps.get_app_config(label).get_models()]
    return found + [apps.get_model(label) for label in GUARDED_MODELS]


def unclassified_fields(model_list=None) -> list[str]:
    """Fields that are neither personal nor kept, and listed names that do not exist."""
    problems = []
    for model in model_list if model_list is not None else guarded_models():
        spec = spec_for(model)
        classified = set(spec.personal) | set(spec.kept) if spec else set()
        for field in _data_fields(model):
            if field.name not in classified and not _is_auto_pk(field):
                problems.append(f"{model._meta.label}.{field.name}")
        for name in sorted(classified - {f.name for f in _data_fields(model)}):
            problems.append(f"{model._meta.label}.{name} (listed but not a field)")
    return problems


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


def anonymise(row: models.Model, field_names) -> None:
    """The default anonymiser: blank each field in a way its column accepts."""
    model = type(row)
    values = {}
    for name in field_names:
        field = model._meta.get_field(name)
        if field.many_to_many:
            getattr(row, name).clear()
            continue
        if isinstance(field, models.FileField):
            _delete_file_after_commit(getattr(row, name))
        values[field.attname] = blank_value(row, field)
    if values:
        model._base_manager.filter(pk=row.pk).update(**values)
        for attname, value in values.items():
            setattr(row, attname, value)


def blank_value(row: models.Model, field: models.Field):
    if isinstance(field, models.EmailField):
        return f"erased-{row._meta.model_name}-{row.pk}@erased.invalid"
    if isinstance(field, models.BooleanField):
        return False
    if field.null:
        return None
    if isinstance(field, models.JSONField):
        return field.get_default()
    if isinstance(field, models.GenericIPAddressField):
        return "0.0.0.0"  # noqa: S104 - a placeholder value, not a bind address  # nosec B104
    if isinstance(field, models.FileField):
        return ""
    if isinstance(field, (models.CharField, models.TextField)):
        if field.unique:
            return f"erased-{row._meta.model_name}-{row.pk}"
        if field.blank or (field.max_length or 1000) < len(ERASED_TEXT):
            return ""
        return ERASED_TEXT
    raise ImproperlyConfigured(
        f"{row._meta.label}.{field.name} cannot be blanked automatically; give its PersonalData an erase function."
    )


def _data_fields(model) -> list[models.Field]:
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def _is_auto_pk(field) -> bool:
    return field.primary_key and isinstance(field, models.AutoField)


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
    for field in _data_fields(model):
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


def _delete_file_after_commit(value) -> None:
    if value:
        transaction.on_commit(partial(value.storage.delete, value.name))


# --- This app's declarations, plus the shared rows it looks after ----------------


def _erase_user(user) -> None:
    anonymise(user, ("email", "first_name", "last_name"))
    # An unusable password also changes the session hash, so every session ends.
    type(user)._base_manager.filter(pk=user.pk).update(password=make_password(None), is_active=False)


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
    OutboxEmail = apps.get_model("network_portal", "OutboxEmail")
    query = Q(user=user) | Q(to_email__iexact=user.email) | Q(reply_to__iexact=user.email)
    member = _member_of(user)
    if member is not None:
        query |= Q(dedupe_key__startswith=staff_notice_key_prefix(member.pk))
    return OutboxEmail.objects.filter(query)


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
        ),
    )
)
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
    PersonalData(model="account.EmailAddress", owner="user", personal=("email",), kept=("user", "verified", "primary"))
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
    )
)
