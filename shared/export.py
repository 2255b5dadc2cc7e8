"""Exports as CSV or NDJSON, the same way in every service (pure: records in, bytes out).

NDJSON: one JSON object per line, UTF-8, nested objects kept. CSV: RFC 4180 (CRLF, quoted where
needed), UTF-8, one flat row per record; a text cell starting with `=`, `+`, `-`, `@`, tab or
carriage return gets a leading `'`, so that a spreadsheet shows what a customer or an agent wrote
and never runs it as a formula (CSV injection). Numbers are written as numbers.

The routes stream these chunks page by page (shared.http.export), so an export of any size is
held in memory one page at a time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

CSV = "csv"
NDJSON = "ndjson"
MEDIA_TYPES = {CSV: "text/csv; charset=utf-8", NDJSON: "application/x-ndjson"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def iso(moment: Any) -> Any:
    """A datetime as ISO 8601 with `Z` for UTC; anything else as it is."""
    return moment.isoformat().replace("+00:00", "Z") if isinstance(moment, datetime) else moment


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never runs."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def compact_json(value: Any) -> str:
    """A nested value in one CSV cell."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def csv_chunk(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, header: bool = False) -> bytes:
    """CSV lines of flat rows (by column name; None is an empty cell), the header first if asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    writer.writerows(["" if row.get(c) is None else safe_cell(row[c]) for c in columns] for row in rows)
    return out.getvalue().encode()


def ndjson_chunk(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)
