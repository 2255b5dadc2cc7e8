"""The events ingest consumes, by type (shared.bus): only erasure requests (group `ingest-erasure`).

Ingest also reads `lazo.programs.v1`, whole, into its programme catalogue: a follower of the
topic (shared.follower), not a consumer group, wired in app.py.
"""

from __future__ import annotations

from shared.bus import Handler
from shared.erasure import erasure_handler
from shared.events import EventType
from shared.tombstones import ErasureGuard
from services.ingest import repository


def erasure_table(guard: ErasureGuard) -> dict[str, Handler]:
    return {EventType.CUSTOMER_ERASURE_REQUESTED: erasure_handler(repository.erase, guard)}
