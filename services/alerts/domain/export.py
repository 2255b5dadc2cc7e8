"""The export of alerts (pure: stored rows in, records out; shared.export writes CSV or NDJSON).

One record per alert raised or held out: the customer (id, email, name), programme, response,
IEC, segment and the previous IEC, why it was selected, the comment and its analysis, the
touchpoint, when the response was submitted and the alert raised, and whether it went to the
control group. CSV joins the reasons with `;` and gives the analysis's emotion and cause keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared import export

CSV_COLUMNS = (
    "alert_id",
    "customer_id",
    "customer_email",
    "customer_name",
    "program",
    "response_id",
    "touchpoint",
    "iec",
    "segment",
    "previous_iec",
    "reasons",
    "comment",
    "emotion",
    "causes",
    "submitted_at",
    "raised_at",
    "control_group",
)


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    analysis = row.get("comment_analysis")
    return {
        "alert_id": row["alert_id"],
        "customer_id": row["customer_id"],
        "customer_email": row.get("customer_email"),
        "customer_name": row.get("customer_name"),
        "program": row["program"],
        "response_id": row["response_id"],
        "touchpoint": row.get("touchpoint"),
        "iec": row["iec"],
        "segment": row["segment"],
        "previous_iec": row.get("previous_iec"),
        "reasons": [r for r in (row.get("reasons") or "").split(",") if r],
        "comment": row.get("comment"),
        "comment_analysis": analysis if isinstance(analysis, Mapping) else None,
        "submitted_at": export.iso(row["submitted_at"]),
        "raised_at": export.iso(row["raised_at"]),
        "control_group": bool(row.get("control_group")),
    }


def flat(rec: Mapping[str, Any]) -> dict[str, Any]:
    analysis = rec.get("comment_analysis") or {}
    causes = ";".join(str(c.get("key")) for c in analysis.get("causes") or [] if isinstance(c, Mapping))
    return {
        **rec,
        "reasons": ";".join(rec["reasons"]),
        "emotion": analysis.get("emotion"),
        "causes": causes or None,
        "control_group": "true" if rec["control_group"] else "false",
    }


def csv_header() -> bytes:
    return export.csv_chunk(CSV_COLUMNS, [], header=True)


def render(fmt: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    records = [record(r) for r in rows]
    if fmt == export.CSV:
        return export.csv_chunk(CSV_COLUMNS, [flat(r) for r in records])
    return export.ndjson_chunk(records)
