"""The export of cases with their timelines, and of renewal outcomes (pure: stored rows in, records
out; shared.export writes them as CSV or NDJSON).

One record per case: who the customer is, the programme, status, owner, cause (free text and
taxonomy key), every milestone's time, the SLA due times and breaches, the suggested causes, and
the whole timeline (who did what, when, with the note). NDJSON keeps `timeline` and
`suggested_causes` as lists; CSV puts the suggested cause keys joined by `;` and the timeline as
one JSON cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared import export

CASE_FIELDS = (
    "case_id",
    "customer_id",
    "customer_name",
    "customer_email",
    "program",
    "status",
    "owner",
    "cause",
    "cause_key",
    "current_feeling",
    "opened_at",
    "first_contact_at",
    "analysing_at",
    "responded_at",
    "unreachable_at",
    "closed_at",
    "first_contact_due",
    "close_due",
    "first_contact_overdue_at",
    "close_overdue_at",
)
TIMELINE_FIELDS = (
    "seq",
    "kind",
    "at",
    "by",
    "from_status",
    "to_status",
    "note",
    "cause",
    "owner",
    "alert_id",
    "response_id",
    "current_feeling",
    "solved",
    "overdue",
)
CSV_COLUMNS = (*CASE_FIELDS, "suggested_causes", "timeline")


def record(case: Mapping[str, Any], timeline: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The exported record of one stored case and its timeline entries (in order)."""
    out = {f: export.iso(case.get(f)) for f in CASE_FIELDS}
    out["suggested_causes"] = list(case.get("suggested_causes") or [])
    out["timeline"] = [{f: export.iso(entry.get(f)) for f in TIMELINE_FIELDS} for entry in timeline]
    return out


def flat(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A record as one CSV row."""
    keys = ";".join(str(c.get("key")) for c in rec["suggested_causes"] if isinstance(c, Mapping))
    return {**rec, "suggested_causes": keys or None, "timeline": export.compact_json(rec["timeline"])}


def csv_header() -> bytes:
    return export.csv_chunk(CSV_COLUMNS, [], header=True)


def render(fmt: str, cases: Sequence[Mapping[str, Any]]) -> bytes:
    """A page of cases (each with its `timeline` rows) in `fmt`."""
    records = [record(c, c["timeline"]) for c in cases]
    if fmt == export.CSV:
        return export.csv_chunk(CSV_COLUMNS, [flat(r) for r in records])
    return export.ndjson_chunk(records)


# -- renewal outcomes ------------------------------------------------------------------------------

OUTCOME_COLUMNS = ("program", "customer_id", "date", "renewed", "revenue", "event_id", "recorded_at")


def outcome_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "program": row["program"],
        "customer_id": row["customer_id"],
        "date": row["on"].isoformat(),
        "renewed": bool(row["renewed"]),
        "revenue": row.get("revenue"),
        "event_id": row["event_id"],
        "recorded_at": export.iso(row["recorded_at"]),
    }


def outcomes_csv_header() -> bytes:
    return export.csv_chunk(OUTCOME_COLUMNS, [], header=True)


def render_outcomes(fmt: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    records = [outcome_record(r) for r in rows]
    if fmt == export.CSV:
        return export.csv_chunk(
            OUTCOME_COLUMNS, [{**r, "renewed": "true" if r["renewed"] else "false"} for r in records]
        )
    return export.ndjson_chunk(records)
