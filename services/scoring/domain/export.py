"""The export of responses with their scores (pure: stored rows in, records out; shared.export
writes them as CSV or NDJSON).

One record per response, scored or not: its ids, programme, touchpoint, when it was submitted,
status (and the reason when it was not scored), IEC and segment, NPS points, CES and CSAT where
asked, the answers, the comment and what the comment analysis found. NDJSON keeps the nested
objects (`answers`, `comment_analysis`) as they are; CSV flattens them into columns a spreadsheet
or a warehouse loader reads (`answers` as a JSON object, the analysis as emotion, polarity,
sentiment and the cause keys joined by `;`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared import export

CSV_COLUMNS = (
    "response_id",
    "customer_id",
    "program",
    "touchpoint",
    "submitted_at",
    "status",
    "reason",
    "iec",
    "segment",
    "nps_points",
    "ces",
    "csat",
    "comment",
    "emotion",
    "polarity",
    "sentiment",
    "causes",
    "answers",
)


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The exported record of one stored response (its columns by name)."""
    analysis = row.get("comment_analysis")
    return {
        "response_id": row["response_id"],
        "customer_id": row["customer_id"],
        "program": row["program"],
        "touchpoint": row.get("touchpoint"),
        "submitted_at": export.iso(row["submitted_at"]),
        "status": row["status"],
        "reason": row.get("reason"),
        "iec": row.get("iec"),
        "segment": row.get("segment"),
        "nps_points": row.get("recommend_0_10"),
        "ces": row.get("ces"),
        "csat": row.get("csat"),
        "comment": row.get("comment"),
        "answers": row.get("answers") or {},
        "comment_analysis": analysis if isinstance(analysis, Mapping) else None,
    }


def flat(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A record as one CSV row."""
    analysis = rec.get("comment_analysis") or {}
    causes = ";".join(str(c.get("key")) for c in analysis.get("causes") or [] if isinstance(c, Mapping))
    return {
        **rec,
        "emotion": analysis.get("emotion"),
        "polarity": analysis.get("polarity"),
        "sentiment": analysis.get("sentiment"),
        "causes": causes or None,
        "answers": export.compact_json(rec.get("answers") or {}),
    }


def csv_header() -> bytes:
    return export.csv_chunk(CSV_COLUMNS, [], header=True)


def render(fmt: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A page of stored rows in `fmt`."""
    records = [record(r) for r in rows]
    if fmt == export.CSV:
        return export.csv_chunk(CSV_COLUMNS, [flat(r) for r in records])
    return export.ndjson_chunk(records)
