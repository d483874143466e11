"""The shared cache: Django's Redis cache on one Redis client per pool, across operations and threads."""

import threading

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.INTEGRATIONS_ASYNC_JOBS, reason="the Redis cache needs REDIS_URL")


def test_the_cache_keeps_values_on_one_client_for_every_operation():
    cache.set("kept-client", {"chart": ["200"]}, 30)
    first = cache._cache.get_client("kept-client")
    assert cache.get("kept-client") == {"chart": ["200"]}
    assert cache.get_many(["kept-client", "absent"]) == {"kept-client": {"chart": ["200"]}}
    cache.delete("kept-client")
    assert cache.get("kept-client") is None
    assert cache._cache.get_client("kept-client") is first


def test_threads_share_the_cache_client_safely():
    errors = []

    def use(n):
        try:
            for i in range(50):
                cache.set(f"thread-{n}-{i}", i, 30)
                assert cache.get(f"thread-{n}-{i}") == i
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
