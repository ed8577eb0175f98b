"""Demo members for `seed_demo`. Idempotent.

Every person here is made up and labelled "(demo)" in their surname; every
email address is on example.org, which can never receive mail."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from . import services
from .consents import WORDINGS
from .models import Appointment, Council, Member, Topic, User

DEMO_PASSWORD = "demo-member-password"  # noqa: S105 - demo mode only, printed on purpose

# (first, last, email local part, role, council slug, ward or job title, status, appointment, topic slugs)
PEOPLE = [
    ("Amara", "Okafor (demo)", "amara.okafor", "councillor", "camden", "Kentish Town", "approved", "champion",
     ["public-health", "housing"]),
    ("Tom", "Reilly (demo)", "tom.reilly", "officer", "camden", "Public health officer", "approved", "lead_officer",
     ["public-health", "suicide-prevention"]),
    ("Priya", "Shah (demo)", "priya.shah", "councillor", "hackney", "Dalston", "approved", "champion",
     ["children-and-young-people", "education"]),
    ("Grace", "Mensah (demo)", "grace.mensah", "officer", "lewisham", "Wellbeing lead", "approved", "",
     ["workforce-wellbeing", "employment"]),
    ("Daniel", "Kowalski (demo)", "daniel.kowalski", "councillor", "croydon", "Fairfield", "pending", "",
     ["social-care"]),
    ("Sofia", "Rossi (demo)", "sofia.rossi", "councillor", "islington", "Highbury", "approved", "", ["leisure"]),
    ("Kwame", "Asante (demo)", "kwame.asante", "councillor", "southwark", "Peckham", "approved", "champion",
     ["housing", "employment"]),
    ("Nadia", "Hussain (demo)", "nadia.hussain", "officer", "tower-hamlets", "Public mental health lead", "approved",
     "lead_officer", ["public-health"]),
    ("Eleanor", "Price (demo)", "eleanor.price", "councillor", "barnet", "East Finchley", "approved", "champion",
     ["social-care", "suicide-prevention"]),
]  # fmt: skip

# Printed by seed_demo with the staff login, so anyone trying the demo can sign in as a member.
LOGINS = [
    ("Demo member (approved councillor, Camden)", "amara.okafor.demo@example.org", DEMO_PASSWORD),
    ("Demo member waiting for approval", "daniel.kowalski.demo@example.org", DEMO_PASSWORD),
]


def seed(stdout) -> None:
    created = 0
    with transaction.atomic():
        for person in PEOPLE:
            created += _seed_person(*person)
    stdout.write(f"Members: {created} demo member(s) added (password for all: {DEMO_PASSWORD}).")


def _seed_person(first, last, local, role, council_slug, detail, status, appointment, topics) -> int:
    email = f"{local}.demo@example.org"
    if User.objects.filter(email=email).exists():
        return 0
    council = Council.objects.get(slug=council_slug)
    user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    member = Member.objects.create(
        user=user,
        role=role,
        council=council,
        ward=detail if role == "councillor" else "",
        job_title=detail if role == "officer" else "",
        status=status,
        status_changed_at=timezone.now(),
    )
    member.interests.set(Topic.objects.filter(slug__in=topics))
    for kind in ("directory", "public"):
        services.consent_set(member=member, kind=kind, granted=True, wording_version=WORDINGS[kind].version)
    if appointment:
        Appointment.objects.create(member=member, council=council, role=appointment)
    return 1
