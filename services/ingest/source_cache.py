"""Sources as the webhook path uses them, kept in memory for a moment."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.ingest.domain.mapping import Mapping
from services.ingest.models import Source


@dataclass(frozen=True)
class KnownSource:
    source: Source  # a detached row, only read
    credentials: dict[str, str]
    mapping: Mapping
    at: float


class SourceCache:
    """Sources as webhooks use them (credentials opened, mapping parsed), for `ttl_s` seconds: the
    webhook path then costs one database write, not a read and a write. A change made through this
    process is seen at once (`forget`); one made through another replica within `ttl_s`."""

    def __init__(self, ttl_s: float = 2.0):
        self._ttl_s = ttl_s
        self._items: dict[tuple[str, str, str | None], KnownSource] = {}

    def get(self, key: tuple[str, str, str | None]) -> KnownSource | None:
        known = self._items.get(key)
        return known if known and time.monotonic() - known.at < self._ttl_s else None

    def put(self, key: tuple[str, str, str | None], known: KnownSource) -> None:
        if len(self._items) > 1000:
            self._items.clear()
        self._items[key] = known

    def forget(self) -> None:
        self._items.clear()
