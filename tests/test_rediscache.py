"""The Redis cache reuses one redis-py client per connection pool (casebook/rediscache.py)."""

import os
import secrets

import pytest
import redis

from casebook.rediscache import RedisCache
from tests.test_deploy import redis_answers

pytestmark = pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def cache():
    cache = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"test-{secrets.token_hex(4)}"})
    yield cache
    cache.clear()


def test_every_call_uses_the_same_client(cache, monkeypatch):
    made = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    cache.set("a", 1)
    cache.set_many({"b": [2], "c": "three"})
    assert cache.get("a") == 1
    assert cache.get_many(["b", "c", "missing"]) == {"b": [2], "c": "three"}
    assert cache.incr("a") == 2
    cache.delete("a")
    assert cache.get("a") is None
    assert len(made) == 1


def test_a_forked_process_reads_and_writes_through_its_own_connections(cache):
    cache.set("before", "parent")
    child = os.fork()
    if child == 0:
        ok = cache.get("before") == "parent"
        cache.set("from-child", "child")
        os._exit(0 if ok else 1)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("from-child") == "child"
    assert cache.get("before") == "parent"
