"""Authentication backends that load a user's membership with the user.

Every page's navigation asks whether the signed-in person may open member-only
pages; loading the member in the same query as the user keeps that free."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class _WithMember:
    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("member").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class MemberModelBackend(_WithMember, ModelBackend):
    pass


class MemberAuthenticationBackend(_WithMember, AuthenticationBackend):
    pass
