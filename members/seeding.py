"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError

from network_portal.seeding import BATCH, SCALE_DOMAIN, Seeder, SeedStep, seed_steps

from .models import Council, Member, Topic, User


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
    users = [
        User(
            email=f"{seeder.prefix}member{n}@{SCALE_DOMAIN}",
            first_name=f"Scale{n}",
            last_name="Member",
            password=password,
            date_joined=seeder.when(days_back=1500),
        )
        for n in range(count)
    ]
    users = User.objects.bulk_create(users, batch_size=BATCH)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=BATCH
    )
    roles = [Member.Role.COUNCILLOR] * 12 + [Member.Role.OFFICER] * 7 + [Member.Role.PARTNER]
    statuses = [Member.Status.APPROVED] * 17 + [Member.Status.PENDING, Member.Status.REJECTED, Member.Status.FORMER]
    members = []
    for user in users:
        role = seeder.rng.choice(roles)
        members.append(
            Member(
                user=user,
                role=role,
                council=None if role == Member.Role.PARTNER else seeder.rng.choice(seeder.councils),
                organisation="Scale Partner Trust" if role == Member.Role.PARTNER else "",
                ward="Scale Ward" if role == Member.Role.COUNCILLOR else "",
                job_title="" if role == Member.Role.COUNCILLOR else "Scale Officer",
                status=seeder.rng.choice(statuses),
                consent_directory=seeder.rng.random() < 0.6,
                consent_digest=seeder.rng.random() < 0.4,
                consent_research=seeder.rng.random() < 0.5,
                created_at=user.date_joined,
            )
        )
    seeder.members = Member.objects.bulk_create(members, batch_size=BATCH)
    seeder.approved = [m for m in seeder.members if m.status == Member.Status.APPROVED]
    return count * 2 + len(members)


seed_steps.register(SeedStep(name="members", default=20_000, run=_members))
