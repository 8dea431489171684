"""The bounded LRU behind the answer and query caches: the bound holds, a hit keeps an entry."""

from __future__ import annotations

from netspace_mock.lru import LRU


def test_the_oldest_entry_goes_and_a_hit_makes_an_entry_the_newest():
    cache: LRU[int, str] = LRU(3)
    for n in range(3):
        assert cache.put(n, f"v{n}") == f"v{n}"
    assert cache.get(0) == "v0"  # 0 is now the newest; 1 the oldest
    cache.put(3, "v3")
    assert len(cache) == 3
    assert cache.get(1) is None
    assert [cache.get(n) for n in (0, 2, 3)] == ["v0", "v2", "v3"]
    for n in range(100, 200):
        cache.put(n, "x")
    assert len(cache) == 3
