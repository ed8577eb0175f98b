"""Load clearly labelled demo content for `make run`. Idempotent.

Each app may provide `<app>/demo.py` with a `seed(stdout)` function; they run
in INSTALLED_APPS order, so later apps can use earlier apps' demo rows. A module's
optional `LOGINS` list of (label, email, password) is printed at the end.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from network_portal import invitations, privileges
from network_portal.registry import app_modules

DEMO_STAFF_EMAIL = "demo-staff@example.org"
DEMO_STAFF_PASSWORD = "demo-staff-password"  # noqa: S105 - demo mode only, printed on purpose


class Command(BaseCommand):
    help = "Load labelled demo content (demo mode only)."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo runs only with DEMO_MODE=1: it creates a staff login with a known password.")
        logins = []
        with transaction.atomic():
            staff = self._staff_login()
            for module in app_modules("demo"):
                module.seed(self.stdout)
                logins += getattr(module, "LOGINS", [])
        self.stdout.write(self.style.SUCCESS("Demo content loaded. Everything it created is labelled as demo."))
        self.stdout.write(f"Demo staff login: {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
        self._print_invitation(staff)
        for label, email, password in logins:
            self.stdout.write(f"{label}: {email} / {password}")

    def _print_invitation(self, staff):
        if privileges.user_has_authenticator(staff):
            self.stdout.write("The demo staff account has its authenticator app: log in with a code from it.")
            return
        url = invitations.mfa_invitation_issue(user=staff, send_email=False)
        self.stdout.write(f"Demo staff authenticator invitation (open it, log in, set up the app): {url}")

    def _staff_login(self):
        user, _ = get_user_model().objects.get_or_create(
            email=DEMO_STAFF_EMAIL,
            defaults={
                "first_name": "Demo",
                "last_name": "Staff (demo account)",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        user.set_password(DEMO_STAFF_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_STAFF_EMAIL, defaults={"verified": True, "primary": True}
        )
        return user
