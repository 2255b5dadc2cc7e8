"""The export of responses with their scores, as CSV or NDJSON (pure: rows in, text out).

One record per response, scored or not: its ids, programme, touchpoint, when it was submitted,
status (and the reason when it was not scored), IEC and segment, NPS points, CES and CSAT where
asked, the answers, the comment and what the comment analysis found. NDJSON keeps the nested
objects (`answers`, `comment_analysis`) as they are; CSV flattens them into columns a spreadsheet
or a warehouse loader reads (`answers` as a JSON object, the analysis as emotion, polarity,
sentiment and the cause keys joined by `;`).

CSV cells written by people (comment, reason, ids, touchpoint) that start with `=`, `+`, `-`, `@`,
tab or carriage return get a leading `'`: a spreadsheet would otherwise run them as formulas
(CSV injection). Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

CSV = "csv"
NDJSON = "ndjson"
MEDIA_TYPES = {CSV: "text/csv; charset=utf-8", NDJSON: "application/x-ndjson"}

CSV_COLUMNS = ("response_id", "customer_id", "program", "touchpoint", "submitted_at", "status", "reason", "iec",
               "segment", "nps_points", "ces", "csat", "comment", "emotion", "polarity", "sentiment", "causes",
               "answers")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if isinstance(moment, datetime) else moment


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The exported record of one stored response (its columns by name)."""
    analysis = row.get("comment_analysis")
    return {
        "response_id": row["response_id"], "customer_id": row["customer_id"], "program": row["program"],
        "touchpoint": row.get("touchpoint"), "submitted_at": _iso(row["submitted_at"]), "status": row["status"],
        "reason": row.get("reason"), "iec": row.get("iec"), "segment": row.get("segment"),
        "nps_points": row.get("recommend_0_10"), "ces": row.get("ces"), "csat": row.get("csat"),
        "comment": row.get("comment"), "answers": row.get("answers") or {},
        "comment_analysis": analysis if isinstance(analysis, Mapping) else None,
    }


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never runs."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _flat(rec: Mapping[str, Any]) -> list[Any]:
    analysis = rec.get("comment_analysis") or {}
    causes = ";".join(str(c.get("key")) for c in analysis.get("causes") or [] if isinstance(c, Mapping))
    flat = {**rec, "emotion": analysis.get("emotion"), "polarity": analysis.get("polarity"),
            "sentiment": analysis.get("sentiment"), "causes": causes or None,
            "answers": json.dumps(rec.get("answers") or {}, sort_keys=True, separators=(",", ":"))}
    return ["" if flat.get(c) is None else safe_cell(flat[c]) for c in CSV_COLUMNS]


def csv_header() -> bytes:
    return csv_chunk([], header=True)


def csv_chunk(records: Iterable[Mapping[str, Any]], *, header: bool = False) -> bytes:
    """CSV lines (RFC 4180: CRLF, quoted where needed) of these records, the header first if asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(_flat(r) for r in records)
    return out.getvalue().encode()


def ndjson_chunk(records: Iterable[Mapping[str, Any]]) -> bytes:
    """One JSON object per line (UTF-8, no BOM), newline-terminated."""
    return b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)


def chunk(fmt: str, records: list[Mapping[str, Any]]) -> bytes:
    return csv_chunk(records) if fmt == CSV else ndjson_chunk(records)
