"""The personal-data registry: every field of every model, classified once.

Each app declares its models in `<app>/privacy.py` (found by
network_portal.registry.discover()):

    personal_data.register(PersonalData(
        model="myapp.Booking",
        owner="member__user",                  # ORM path from the model to the User
        personal=("notes",),                   # exported, and anonymised on erasure
        kept=("id", "member", "session", "status", "created_at"),
    ))

The member's "Download my data" and "Delete my account" (the members app)
walk this registry. A test fails when a model gains a field that is in neither
list, so new personal data cannot slip past either. An auto-created `id`
primary key counts as kept. Every model of a project app is guarded, and so is
any other model an app registers (allauth's email rows, say).

A model with personal fields also needs either a retention rule
(network_portal.retention) or `kept_while_account`, the reason its personal
fields are kept while the account exists: a test fails when it has neither.

`owner` is None for models that belong to nobody (reference data). SELF marks
the user model itself. `rows(user)` adds rows the owner path cannot reach, such
as a staff notification about the member. `erase(row)` replaces the default
anonymiser for one row and must save (or delete) it itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

from . import caching
from .models import AuditEvent, MfaInvitation
from .outbox.services import outbox_purge
from .registry import Registry, project_apps
from .retention import DELETE, RetentionRule, retention_rules

SELF = "self"
ERASED_TEXT = "[erased]"
ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True)
class PersonalData:
    model: str  # "app_label.ModelName"
    owner: str | None  # ORM path from the model to the User, e.g. "member__user"; None if no owner
    personal: tuple[str, ...] = ()  # exported, and anonymised on erasure
    kept: tuple[str, ...] = ()  # not personal (ids, foreign keys, dates, counts, ratings): kept on erasure
    erase: Callable | None = None  # optional custom anonymiser for a row
    rows: Callable | None = None  # optional rows(user) -> QuerySet of further rows about the user
    # Personal fields with no retention rule are kept while the account exists
    # (and go on erasure); this says why that is right for this model.
    kept_while_account: str = ""

    def __post_init__(self):
        overlap = set(self.personal) & set(self.kept)
        if overlap:
            raise ImproperlyConfigured(f"{self.model}: {sorted(overlap)} listed as both personal and kept.")


personal_data: Registry[PersonalData] = Registry("Personal data", key=lambda spec: spec.model)


def register(spec: PersonalData) -> PersonalData:
    return personal_data.register(spec)


def registered() -> list[PersonalData]:
    return list(personal_data)


def spec_for(model: type[models.Model]) -> PersonalData | None:
    return personal_data.get(model._meta.label)


def guarded_models() -> list[type[models.Model]]:
    """Every model of the project's own apps, plus any other model an app registered."""
    found = [model for config in project_apps() for model in config.get_models()]
    labels = {model._meta.label for model in found}
    return found + [apps.get_model(spec.model) for spec in registered() if spec.model not in labels]


def unclassified_fields(model_list=None) -> list[str]:
    """Fields that are neither personal nor kept, and listed names that do not exist."""
    problems = []
    for model in model_list if model_list is not None else guarded_models():
        spec = spec_for(model)
        classified = set(spec.personal) | set(spec.kept) if spec else set()
        for field in data_fields(model):
            if field.name not in classified and not _is_auto_pk(field):
                problems.append(f"{model._meta.label}.{field.name}")
        for name in sorted(classified - {f.name for f in data_fields(model)}):
            problems.append(f"{model._meta.label}.{name} (listed but not a field)")
    return problems


def without_retention(model_list=None) -> list[str]:
    """Models holding personal fields with neither a retention rule nor a reason to keep them."""
    ruled = {rule.model for rule in retention_rules}
    problems = []
    for model in model_list if model_list is not None else guarded_models():
        spec = spec_for(model)
        if spec and spec.personal and model._meta.label not in ruled and not spec.kept_while_account:
            problems.append(model._meta.label)
    return problems


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
        # A bulk update sends no post_save: retire the My account sections and the directory.
        caching.bump(caching.MY_TRAINING, caching.MY_MEETINGS, caching.MY_RESOURCES, caching.DIRECTORY)
        for attname, value in values.items():
            setattr(row, attname, value)


def blank_value(row: models.Model, field: models.Field):
    if isinstance(field, models.EmailField):
        return f"erased-{row._meta.model_name}-{row.pk}@{ERASED_DOMAIN}"
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


def data_fields(model) -> list[models.Field]:
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def _is_auto_pk(field) -> bool:
    return field.primary_key and isinstance(field, models.AutoField)


def _delete_file_after_commit(value) -> None:
    if value:
        transaction.on_commit(partial(value.storage.delete, value.name))


# --- This app's own records -------------------------------------------------
# The audit log and the retention runs are kept whole on erasure: they are the
# accountability record of who saw personal data, and hold ids and counts
# rather than the data itself.

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


def _purge_outbox(*, cutoff, now) -> int:
    # outbox_purge counts its own period from OUTBOX_RETENTION_DAYS.
    return outbox_purge(now=now)


retention_rules.register(
    RetentionRule(
        key="outbox_emails_deleted",
        model="network_portal.OutboxEmail",
        age_field="sent_at",
        setting="OUTBOX_RETENTION_DAYS",
        action=DELETE,
        apply=_purge_outbox,
    )
)


def _delete_audit_events(*, cutoff, now) -> int:
    with transaction.atomic():
        deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


retention_rules.register(
    RetentionRule(
        key="audit_events_deleted",
        model="network_portal.AuditEvent",
        age_field="created_at",
        setting="RETENTION_AUDIT_DAYS",
        action=DELETE,
        apply=_delete_audit_events,
    )
)


def _delete_old_invitations(*, cutoff, now) -> int:
    # Counted from expiry: a used invitation expires on schedule too, so one
    # period covers used, unused and replaced ones alike.
    with transaction.atomic():
        deleted, _ = MfaInvitation.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


retention_rules.register(
    RetentionRule(
        key="mfa_invitations_deleted",
        model="network_portal.MfaInvitation",
        age_field="expires_at",
        setting="RETENTION_INVITATION_DAYS",
        action=DELETE,
        apply=_delete_old_invitations,
    )
)


# An invitation is worth nothing once the account is erased, so erasure deletes
# it; only a hash of its token was ever stored.
register(
    PersonalData(
        model="network_portal.MfaInvitation",
        owner="user",
        kept=("user", "token_hash", "invited_by", "created_at", "expires_at", "used_at"),
        erase=lambda row: row.delete(),
    )
)
