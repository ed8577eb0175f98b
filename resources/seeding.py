"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from network_portal.seeding import BATCH, Seeder, SeedStep, seed_steps

from .models import Download, Organisation, Resource, Update, Visibility


def _organisations(seeder: Seeder) -> list[Organisation]:
    Organisation.objects.bulk_create(
        [Organisation(name=f"Scale Partner {n}", slug=f"scale-partner-{n}") for n in range(20)],
        ignore_conflicts=True,
    )
    return list(Organisation.objects.filter(slug__startswith="scale-partner-").order_by("pk"))


def _resources(seeder: Seeder) -> int:
    seeder.organisations = _organisations(seeder)
    words = ["housing", "loneliness", "debt", "schools", "suicide", "prevention", "parks", "workforce", "youth"]
    resources = []
    for n in range(seeder.volume["resources"]):
        topic_words = " ".join(seeder.rng.sample(words, 3))
        resources.append(
            Resource(
                title=f"Scale resource {seeder.prefix}{n} on {topic_words}",
                slug=f"{seeder.prefix}scale-resource-{n}",
                summary=f"A generated guide about {topic_words} for councils.",
                body=f"Generated body text about {topic_words}.",
                kind=seeder.rng.choice([k for k in Resource.Kind.values if k != Resource.Kind.CASE_STUDY]),
                source=seeder.rng.choice(seeder.organisations),
                url=f"https://example.org/scale/{n}",
                visibility=seeder.rng.choice(Visibility.values),
                status=Resource.Status.PUBLISHED,
                published_at=seeder.when(days_back=2000),
            )
        )
    seeder.resources = Resource.objects.bulk_create(resources, batch_size=BATCH)
    through = Resource.topics.through
    links = [
        through(resource_id=r.pk, topic_id=t.pk)
        for r in seeder.resources
        for t in seeder.rng.sample(seeder.topics, min(2, len(seeder.topics)))
    ]
    through.objects.bulk_create(links, batch_size=BATCH)
    return len(resources) + len(links)


def _downloads(seeder: Seeder) -> int:
    users = [m.user_id for m in seeder.approved]
    total = seeder.volume["downloads"]
    for start in range(0, total, BATCH * 5):
        Download.objects.bulk_create(
            [
                Download(
                    resource=seeder.rng.choice(seeder.resources),
                    user_id=seeder.rng.choice(users),
                    downloaded_at=seeder.when(days_back=1500),
                )
                for _ in range(min(BATCH * 5, total - start))
            ],
            batch_size=BATCH,
        )
    return total


def _updates(seeder: Seeder) -> int:
    updates = [
        Update(
            title=f"Scale partner update {seeder.prefix}{n}",
            slug=f"{seeder.prefix}scale-update-{n}",
            body="Generated partner news for performance testing.",
            organisation=seeder.rng.choice(seeder.organisations),
            visibility=seeder.rng.choice(Visibility.values),
            status=Update.Status.PUBLISHED,
            published_at=seeder.when(days_back=2000),
        )
        for n in range(seeder.volume["updates"])
    ]
    Update.objects.bulk_create(updates, batch_size=BATCH)
    return len(updates)


seed_steps.register(SeedStep(name="resources", default=5_000, run=_resources))
seed_steps.register(SeedStep(name="downloads", default=100_000, run=_downloads))
seed_steps.register(SeedStep(name="updates", default=2_000, run=_updates))
