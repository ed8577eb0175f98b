import random

import pytest
from django.core.cache import cache
from django.test import Client

from bench.pages import busiest_member
from bench.sessions import log_in, staff_user
from network_portal.seeding import Seeder

SMALL = {
    "members": 30,
    "meetings": 3,
    "registrations": 20,
    "sessions": 4,
    "bookings": 40,
    "feedback": 20,
    "resources": 6,
    "downloads": 30,
    "updates": 4,
}
# Ten times the small volume: enough that an N+1 shows up as a different count.
LARGE = {name: count * 10 for name, count in SMALL.items()}


def seed(volume: dict[str, int], *, prefix: str) -> Seeder:
    seeder = Seeder(volume=volume, rng=random.Random(8), prefix=prefix)
    for _step in seeder.run():
        pass
    return seeder


@pytest.fixture
def small_network(london_councils):
    return seed(SMALL, prefix="s")


@pytest.fixture
def clients(small_network):
    """One client per kind of visitor; the member has bookings, registrations and downloads."""
    member = busiest_member()
    anon, member_client, staff_client = Client(), Client(), Client()
    log_in(member_client, member.user)
    log_in(staff_client, staff_user())
    return {"anon": anon, "member": member_client, "staff": staff_client, "the_member": member}


@pytest.fixture
def cache_reads(monkeypatch):
    """The keys of every cache.get_many() from here on, one list per call: each call is one
    round trip to Redis. Clear it after a warm-up request to count a page's own."""
    reads = []
    get_many = cache.get_many

    def recorded(keys, **kwargs):
        keys = list(keys)
        reads.append(keys)
        return get_many(keys, **kwargs)

    monkeypatch.setattr(cache, "get_many", recorded)
    return reads
