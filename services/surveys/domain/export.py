"""The export of invitations (pure: stored rows in, records out; shared.export writes them as CSV or
NDJSON). One record per invitation: who was invited, for which programme and period, by which
channel, where it stands (due, sent, suppressed with its reason, responded, expired), its milestones
and the time it took the customer to respond."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared import export

COLUMNS = (
    "invitation_id",
    "customer_id",
    "program",
    "period_key",
    "kind",
    "channel",
    "status",
    "reason",
    "case_id",
    "due_at",
    "sent_at",
    "opened_at",
    "reminded_at",
    "responded_at",
    "response_id",
    "seconds_to_respond",
    "expire_at",
    "closed_at",
    "created_at",
)


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {c: export.iso(row.get(c)) for c in COLUMNS}


def csv_header() -> bytes:
    return export.csv_chunk(COLUMNS, [], header=True)


def render(fmt: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    records = [record(r) for r in rows]
    if fmt == export.CSV:
        return export.csv_chunk(COLUMNS, records)
    return export.ndjson_chunk(records)
