"""Django's Redis cache, with one Redis client per connection pool instead of a new one for every operation.

Django's `RedisCacheClient.get_client` builds a `redis.Redis` for each get or set, and building one (its table of
about two hundred reply callbacks) costs more CPU than the round trip it makes. A client is only a front for its
pool and safe to share between threads, so one per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    """`RedisCacheClient` keeping a client per pool (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class KeptClientRedisCache(RedisCache):
    """Django's `RedisCache` on `KeptClientRedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
