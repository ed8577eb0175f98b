"""The one place that says who may use member-only features.

Only approved members (and staff) may book, register, download members-only
resources, see the directory or submit case studies.
"""

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.template.response import TemplateResponse

from .models import Member


def is_approved_member(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    member = getattr(user, "member", None)
    return member is not None and member.is_approved


def membership_current_q(user_path: str) -> Q:
    """A filter over a path to the User (e.g. "member__user") keeping people
    whose membership has not ended: the login is active and the member was
    neither rejected nor became a former councillor. Scheduled email uses it,
    so nothing goes to someone whose membership is over."""
    ended = Q(**{f"{user_path}__member__status__in": Member.ENDED_STATUSES})
    return Q(**{f"{user_path}__is_active": True}) & ~ended


def membership_refused(request):
    """A 403 page that tells the member their status and what happens next."""
    member = getattr(request.user, "member", None)
    return TemplateResponse(request, "members/not_approved.html", {"member": member}, status=403)


def approved_member_required(view):
    @wraps(view)
    def _wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_approved_member(request.user):
            return membership_refused(request)
        return view(request, *args, **kwargs)

    return _wrapped


class ApprovedMemberRequiredMixin(AccessMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_approved_member(request.user):
            return membership_refused(request)
        return super().dispatch(request, *args, **kwargs)
