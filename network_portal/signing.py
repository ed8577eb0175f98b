"""Signed links that name one object and one purpose, e.g. the feedback survey
for booking 12. The salt includes the purpose, so a link made for one purpose
never validates for another."""

from datetime import timedelta

from django.core import signing
from django.db import models
from django.shortcuts import render

MAX_AGE = timedelta(days=60)


class InvalidLink(Exception):
    pass


def _salt(purpose: str) -> str:
    return f"network_portal.signed-link:{purpose}"


def make_token(*, obj: models.Model, purpose: str) -> str:
    return signing.dumps({"model": obj._meta.label_lower, "pk": obj.pk}, salt=_salt(purpose), compress=True)


def read_token(token: str, *, purpose: str, queryset: models.QuerySet, max_age: timedelta | None = MAX_AGE):
    """Return the object the token names, or raise InvalidLink. max_age=None: the token never expires."""
    try:
        data = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise InvalidLink from exc
    if not isinstance(data, dict) or data.get("model") != queryset.model._meta.label_lower:
        raise InvalidLink
    try:
        return queryset.get(pk=data.get("pk"))
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise InvalidLink from exc


def invalid_link_response(request):
    return render(request, "network_portal/link_invalid.html", status=400)
