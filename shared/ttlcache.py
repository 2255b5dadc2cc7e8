"""A small, bounded cache of values that go stale after a while (sources, survey definitions)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class TtlCache(Generic[V]):
    """At most `size` entries, each kept `ttl_s` seconds; the least recently set goes first."""

    def __init__(self, ttl_s: float, size: int = 256, *, clock: Callable[[], float] = time.monotonic):
        if ttl_s <= 0 or size < 1:
            raise ValueError("a cache needs a positive ttl and size")
        self._ttl_s = ttl_s
        self._size = size
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable, default: V | None = None) -> V | None:
        item = self._items.get(key, _MISSING)
        if item is _MISSING:
            return default
        stored_at, value = item  # type: ignore[misc]
        if self._clock() - stored_at >= self._ttl_s:
            del self._items[key]
            return default
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._items.pop(key, None)
        while len(self._items) >= self._size:
            self._items.popitem(last=False)
        self._items[key] = (self._clock(), value)

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one entry, or all of them."""
        if key is None:
            self._items.clear()
        else:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
