"""The gateway's model list is remembered per gateway and key, for minutes, on a fixed clock."""

from __future__ import annotations

import pytest

from core.model_catalog import ModelListUnavailable
from core.model_list_cache import ModelListCache, ModelListing

BASE = "http://gateway.test/v1"


class FakeGateway:
    """Answers each key with its own list, counting the reads; a key in `failing` fails."""

    def __init__(self) -> None:
        self.lists = {"sk-alice": ("gpt-4o", "o3"), "sk-bob": ("claude-sonnet-4-5",)}
        self.failing: set[str] = set()
        self.reads: list[tuple[str, str]] = []

    def __call__(self, base_url: str, api_key: str) -> tuple[str, ...]:
        self.reads.append((base_url, api_key))
        if api_key in self.failing or api_key not in self.lists:
            raise ModelListUnavailable("the gateway refused the key for its model list (HTTP 401)")
        return self.lists[api_key]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(gateway, clock) -> ModelListCache:
    return ModelListCache(gateway, clock=clock, ttl=300.0, failure_ttl=60.0)


def test_a_list_is_read_once_then_remembered_until_it_expires(cache, gateway, clock):
    assert cache.get(BASE, "sk-alice") == ModelListing(("gpt-4o", "o3"))
    clock.now += 299.0
    assert cache.get(BASE, "sk-alice") == ModelListing(("gpt-4o", "o3"))
    assert len(gateway.reads) == 1
    gateway.lists["sk-alice"] = ("gpt-4o", "o3", "gpt-4.1")
    clock.now += 1.0  # 300 s after the read: expired
    assert cache.get(BASE, "sk-alice") == ModelListing(("gpt-4o", "o3", "gpt-4.1"))
    assert len(gateway.reads) == 2


def test_one_keys_list_is_never_served_to_another_key(cache, gateway):
    assert cache.get(BASE, "sk-alice").models == ("gpt-4o", "o3")
    assert cache.get(BASE, "sk-bob").models == ("claude-sonnet-4-5",)
    assert cache.get(BASE, "sk-mallory") == ModelListing(
        None, "the gateway refused the key for its model list (HTTP 401)"
    )
    assert gateway.reads == [(BASE, "sk-alice"), (BASE, "sk-bob"), (BASE, "sk-mallory")]


def test_the_same_key_on_another_gateway_is_another_list(cache, gateway):
    cache.get(BASE, "sk-alice")
    cache.get("http://other.test/v1", "sk-alice")
    assert gateway.reads == [(BASE, "sk-alice"), ("http://other.test/v1", "sk-alice")]


def test_a_failure_is_remembered_for_less_time(cache, gateway, clock):
    gateway.failing.add("sk-alice")
    assert cache.get(BASE, "sk-alice").models is None
    clock.now += 59.0
    assert cache.get(BASE, "sk-alice").models is None  # not asked again on every redraw
    assert len(gateway.reads) == 1
    gateway.failing.clear()
    clock.now += 1.0
    assert cache.get(BASE, "sk-alice").models == ("gpt-4o", "o3")
    assert len(gateway.reads) == 2


def test_the_key_itself_is_not_kept(cache):
    cache.get(BASE, "sk-alice")
    cache.get(BASE, "sk-mallory")
    kept = repr(vars(cache)) + repr(list(cache._entries))
    assert "sk-alice" not in kept
    assert "sk-mallory" not in kept


def test_only_the_most_recently_used_keys_are_kept(gateway, clock):
    cache = ModelListCache(gateway, clock=clock, max_keys=2)
    cache.get(BASE, "sk-alice")
    cache.get(BASE, "sk-bob")
    cache.get(BASE, "sk-alice")  # used again: bob is now the oldest
    cache.get(BASE, "sk-carol")
    cache.get(BASE, "sk-alice")
    cache.get(BASE, "sk-bob")
    assert [key for _, key in gateway.reads] == ["sk-alice", "sk-bob", "sk-carol", "sk-bob"]
