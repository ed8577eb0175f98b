"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from typing import NamedTuple

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError

from network_portal.seeding import SCALE_DOMAIN, Seeder, SeedStep, seed_steps

from .models import Council, Member, Topic, User


class Approved(NamedTuple):
    """What later steps need of an approved member: no model instance, at 100,000 members."""

    member_id: int
    user_id: int
    council_id: int | None
    role: str


def _reference_data(seeder: Seeder) -> None:
    seeder.councils = list(Council.objects.order_by("pk"))
    seeder.topics = list(Topic.objects.order_by("pk"))
    if not seeder.councils:
        raise CommandError("No councils: run migrations first (they load the London councils).")


def _members(seeder: Seeder) -> int:
    _reference_data(seeder)
    count = seeder.volume["members"]
    # Nobody can sign in as a generated member; benchmarks make sessions directly (bench/sessions.py).
    password = make_password(None)
    emails = [f"{seeder.prefix}member{n}@{SCALE_DOMAIN}" for n in range(count)]
    joined = [seeder.when(days_back=1500) for _ in range(count)]
    user_ids = seeder.insert(
        User,
        ("email", "first_name", "last_name", "password", "date_joined"),
        ((email, f"Scale{n}", "Member", password, joined[n]) for n, email in enumerate(emails)),
        returning=True,
    )
    seeder.insert(
        EmailAddress,
        ("user_id", "email", "verified", "primary"),
        ((user_id, email, True, True) for user_id, email in zip(user_ids, emails, strict=True)),
    )
    roles = [Member.Role.COUNCILLOR] * 12 + [Member.Role.OFFICER] * 7 + [Member.Role.PARTNER]
    statuses = [Member.Status.APPROVED] * 17 + [Member.Status.PENDING, Member.Status.REJECTED, Member.Status.FORMER]
    council_ids = [council.pk for council in seeder.councils]
    rows = []
    for user_id, created_at in zip(user_ids, joined, strict=True):
        role = seeder.rng.choice(roles)
        partner = role == Member.Role.PARTNER
        rows.append(
            (
                user_id,
                role,
                None if partner else seeder.rng.choice(council_ids),
                "Scale Partner Trust" if partner else "",
                "Scale Ward" if role == Member.Role.COUNCILLOR else "",
                "" if role == Member.Role.COUNCILLOR else "Scale Officer",
                seeder.rng.choice(statuses),
                seeder.rng.random() < 0.6,
                seeder.rng.random() < 0.4,
                seeder.rng.random() < 0.5,
                created_at,
            )
        )
    fields = ("user_id", "role", "council_id", "organisation", "ward", "job_title", "status", "consent_directory",
              "consent_digest", "consent_research", "created_at")  # fmt: skip
    member_ids = seeder.insert(Member, fields, rows, returning=True)
    seeder.approved = [
        Approved(member_id, row[0], row[2], row[1])
        for member_id, row in zip(member_ids, rows, strict=True)
        if row[6] == Member.Status.APPROVED
    ]
    return count * 2 + len(rows)


seed_steps.register(SeedStep(name="members", default=20_000, run=_members))
