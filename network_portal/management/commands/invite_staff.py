"""Print an authenticator invitation for a privileged account, such as the
very first superuser (created with createsuperuser), who has no one to invite them."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from network_portal import invitations, privileges


class Command(BaseCommand):
    help = "Print a single-use link with which a staff or researcher account sets up its authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The staff, superuser or researcher account's email.")

    def handle(self, *args, email, **options):
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account has the email {email}.")
        if not privileges.user_is_privileged(user):
            raise CommandError(f"{email} is not staff, a superuser or a researcher, so needs no invitation.")
        if privileges.user_has_authenticator(user):
            raise CommandError(
                f"{email} already has an authenticator app. To replace it, use the admin's "
                "'Reset the authenticator app' action on the user."
            )
        url = invitations.mfa_invitation_issue(user=user, send_email=False)
        self.stdout.write(f"Invitation for {user.email} (single use, valid for the hours in MFA_INVITATION_HOURS):")
        self.stdout.write(url)
