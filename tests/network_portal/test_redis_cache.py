"""The Redis cache backend keeps one client per connection pool, and is
otherwise Django's: the same operations against the real Redis."""

import threading

from django.core.cache import cache


def test_the_cache_reuses_one_redis_client_for_every_operation():
    first = cache._cache.get_client("a", write=True)
    cache.set("redis-cache:probe", 1)
    assert cache._cache.get_client("b", write=True) is first


def test_the_shared_client_reads_writes_counts_and_deletes_from_several_threads():
    def work(n):
        cache.set(f"redis-cache:{n}", {"n": n}, 30)
        cache.incr("redis-cache:counter")

    cache.set("redis-cache:counter", 0, 30)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert cache.get_many([f"redis-cache:{n}" for n in range(8)]) == {f"redis-cache:{n}": {"n": n} for n in range(8)}
    assert cache.get("redis-cache:counter") == 8
    cache.delete_many([f"redis-cache:{n}" for n in range(8)])
    assert cache.get("redis-cache:3") is None
