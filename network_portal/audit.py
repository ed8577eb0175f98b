"""The audit log of staff access to personal data (UK GDPR accountability).

Views and admin actions that show or export personal data call audit_record
with the facts of the request; the rows are never changed or deleted from the
site (the admin is read-only)."""

import logging

from django.db import transaction

from .client_address import client_address
from .models import AuditEvent

logger = logging.getLogger(__name__)

Action = AuditEvent.Action


def audit_record(
    *,
    actor,
    action: str,
    path: str,
    ip_address: str | None = None,
    subject_user_id: int | None = None,
    detail: str = "",
    row_count: int | None = None,
) -> AuditEvent:
    with transaction.atomic():
        event = AuditEvent.objects.create(
            actor=actor,
            actor_email=actor.email,
            action=action,
            subject_user_id=subject_user_id,
            detail=detail[:300],
            row_count=row_count,
            path=path[:500],
            ip_address=ip_address,
        )
    logger.info("Audit: %s by user %s (%s rows) %s", action, actor.pk, row_count, detail)
    return event


def request_facts(request) -> dict:
    """The keyword arguments of audit_record that describe the request."""
    return {"actor": request.user, "path": request.get_full_path(), "ip_address": client_address(request) or None}


class AuditedChangeViewMixin:
    """For the admin of records about one person: every look at the change page is logged.

    audit_subject names the attribute holding that person's user id."""

    audit_subject = "user_id"
    audit_action = Action.MEMBER_VIEW

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_view(request, object_id, response)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._audit_view(request, object_id, response)
        return response

    def _audit_view(self, request, object_id, response) -> None:
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                audit_record(
                    action=self.audit_action,
                    subject_user_id=getattr(obj, self.audit_subject),
                    detail=f"{obj._meta.verbose_name} {obj.pk}",
                    **request_facts(request),
                )
