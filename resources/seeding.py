"""This app's steps of `manage.py seed_scale` (see network_portal/seeding.py)."""

from network_portal.seeding import Seeder, SeedStep, seed_steps

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
    visibilities = Visibility.values
    kinds = [k for k in Resource.Kind.values if k != Resource.Kind.CASE_STUDY]
    for n in range(seeder.volume["resources"]):
        topic_words = " ".join(seeder.rng.sample(words, 3))
        resources.append(
            Resource(
                title=f"Scale resource {seeder.prefix}{n} on {topic_words}",
                slug=f"{seeder.prefix}scale-resource-{n}",
                summary=f"A generated guide about {topic_words} for councils.",
                body=f"Generated body text about {topic_words}.",
                kind=seeder.rng.choice(kinds),
                source=seeder.rng.choice(seeder.organisations),
                url=f"https://example.org/scale/{n}",
                visibility=seeder.rng.choice(visibilities),
                status=Resource.Status.PUBLISHED,
                published_at=seeder.when(days_back=2000),
            )
        )
    seeder.resources = seeder.insert_objects(resources)
    links = [
        (r.pk, t.pk) for r in seeder.resources for t in seeder.rng.sample(seeder.topics, min(2, len(seeder.topics)))
    ]
    seeder.insert(Resource.topics.through, ("resource_id", "topic_id"), links)
    return len(resources) + len(links)


def _downloads(seeder: Seeder) -> int:
    users = [m.user_id for m in seeder.approved]
    resources = [r.pk for r in seeder.resources]
    rows = (
        (seeder.rng.choice(resources), seeder.rng.choice(users), seeder.when(days_back=1500))
        for _ in range(seeder.volume["downloads"])
    )
    seeder.insert(Download, ("resource_id", "user_id", "downloaded_at"), rows)
    return seeder.volume["downloads"]


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
    seeder.insert_objects(updates)
    return len(updates)


seed_steps.register(SeedStep(name="resources", default=5_000, run=_resources))
seed_steps.register(SeedStep(name="downloads", default=100_000, run=_downloads))
seed_steps.register(SeedStep(name="updates", default=2_000, run=_updates))
