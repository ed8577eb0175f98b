"""Who counts as privileged, and the one marker for views that read other
people's data through a permission (rather than through is_staff).

A privileged user is staff, a superuser, or anyone holding a permission that
an app registered here (the researchers' export permission, for one). Every
privileged request needs an authenticator step passed in this session:
network_portal.middleware.PrivilegedMfaMiddleware enforces it, for staff on
every page and for permission holders on the views marked below.
"""

from functools import wraps

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from .registry import Registry

# Filled from the apps' plug-in modules (<app>/privacy.py), at start-up.
privileged_permissions: Registry[str] = Registry("Privileged permissions", key=lambda permission: permission)


def register_permission(permission: str) -> str:
    """Holders of this permission read other people's data."""
    return privileged_permissions.register(permission)


def registered_permissions() -> frozenset[str]:
    return frozenset(privileged_permissions)


def user_is_privileged(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(user.has_perm(permission) for permission in privileged_permissions)


def user_has_authenticator(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def privileged_permission_required(permission: str):
    """Login, then the permission (403 without it). The view is marked with the
    permission so the MFA middleware gates it and tests can find it."""
    if privileged_permissions.get(permission) is None:
        raise ImproperlyConfigured(f"Register {permission} with network_portal.privileges.register_permission first.")

    def decorator(view):
        @wraps(view)
        def _wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        _wrapped.privileged_permission = permission
        return _wrapped

    return decorator


def view_privileged_permission(view) -> str | None:
    """The permission a view was marked with, if any (class-based views included)."""
    return getattr(view, "privileged_permission", None) or getattr(
        getattr(view, "view_class", None), "privileged_permission", None
    )
