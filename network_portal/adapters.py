import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from .client_address import client_address
from .outbox import queue_email
from .privileges import user_is_privileged


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Route allauth's emails (verification, password reset) through the
        outbox, so a broker outage delays them instead of losing them."""
        message = self.render_mail(template_prefix, email, context)
        html = next((body for body, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
        user = context.get("user")
        queue_email(
            to_email=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            kind=f"account:{template_prefix.rsplit('/', 1)[-1]}",
            dedupe_key=f"account:{template_prefix}:{uuid.uuid4()}",
            user=user if getattr(user, "pk", None) else None,
            # Reset and verification links (and codes) act for the account holder.
            sensitive=True,
        )

    def get_client_ip(self, request) -> str:
        # allauth's sign-in limits count per address: the portal's one rule decides which.
        return client_address(request) or super().get_client_ip(request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        # Privileged pages require MFA, so privileged accounts keep their authenticator app.
        return not user_is_privileged(authenticator.user)
