"""Customer erasure in ingest: the stored webhook bodies that name the customer.

Ingest keeps no customers, only what platforms sent that did not become a response yet: payloads
in quarantine (as sent: emails, names, comments), pending API fetches (the platform's
notification), and webhook responses in its outbox (shared.erasure deletes those). A document
names the customer when a value in it (or a key) is the customer id, compared after decoding:
JSON however escaped (`\\u00e9`, `\\/`), form bodies however percent-encoded, JSON inside a form
field, Unicode normalised (NFC) and trimmed; a body that is none of these names them when the id
appears in it as a whole word. Those rows are deleted: replaying them would bring the data back.

A text search cannot find an escaped id, so every stored document is decoded and looked at, a
few at a time: erasures are rare and the quarantine is small; the cost is one read of it.

Late deliveries: a platform may deliver again, after the erasure, a payload that names the
customer (a retry). Quarantining it would bring the data back, so its document is withheld
(`withheld`): the row records the delivery and why, not the payload.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.tombstones import ErasureGuard
from services.ingest.models import FetchJob, QuarantinedPayload

CHUNK_CHARS = 4_000_000
CHUNK_ROWS = 500
# Strings that may be a customer id (ingest takes ids of 1 to 200 characters).
MAX_ID_CHARS = 200
# How deep JSON inside a string (a form field holding JSON, say) is decoded.
MAX_NESTED_DOCUMENTS = 3

WITHHELD_REASON = "withheld: the payload names a customer erased at their request (it was not kept)"


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _json(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def values_in(document: str, _depth: int = 0) -> Iterator[str]:
    """Every string (keys included) and number a stored document holds, decoded."""
    return _values(document, *_json(document), _depth)


def _values(document: str, is_json: bool, parsed: Any, depth: int) -> Iterator[str]:
    if not is_json:
        pairs = parse_qsl(document, keep_blank_values=True) if "=" in document else []
        for key, value in pairs:
            yield key
            yield value
            if depth < MAX_NESTED_DOCUMENTS and value[:1] in ("{", "["):
                yield from values_in(value, depth + 1)
        return
    stack = [parsed]
    while stack:  # iterative: a payload may nest deeper than the recursion limit
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            yield value
            if depth < MAX_NESTED_DOCUMENTS and value.lstrip()[:1] in ("{", "["):
                yield from values_in(value, depth + 1)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield str(value)


def names_customer(document: str, customer_id: str) -> bool:
    target = _normal(customer_id)
    if not target:
        return False
    is_json, parsed = _json(document)
    if any(_normal(value) == target for value in _values(document, is_json, parsed, 0)):
        return True
    if is_json:
        return False
    # Not JSON: also the id as a whole word in the text, as sent or percent-decoded.
    word = re.compile(rf"(?<![\w.@-]){re.escape(target)}(?![\w.@-])")
    return any(word.search(unicodedata.normalize("NFC", text)) for text in (document, unquote_plus(document)))


async def _matching(session: AsyncSession, id_column, document_column, customer_id: str) -> list:
    """The ids of the rows whose document names the customer, read a few at a time: about
    `CHUNK_CHARS` of documents (and at most `CHUNK_ROWS` rows) in memory at once."""
    sizes = (await session.execute(select(id_column, func.coalesce(func.length(document_column), 0))
                                   .order_by(id_column))).all()
    found, chunk, held = [], [], 0
    for index, (row_id, size) in enumerate(sizes):
        chunk.append(row_id)
        held += size
        if held >= CHUNK_CHARS or len(chunk) >= CHUNK_ROWS or index == len(sizes) - 1:
            rows = await session.execute(select(id_column, document_column).where(id_column.in_(chunk)))
            found += [row_id for row_id, document in rows if document and names_customer(document, customer_id)]
            chunk, held = [], 0
    return found


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    q, f = QuarantinedPayload, FetchJob
    held = await _matching(session, q.id, q.document, customer_id)
    if held:
        await session.execute(delete(q).where(q.id.in_(held)).execution_options(synchronize_session=False))
    jobs = await _matching(session, f.id, f.event, customer_id)
    if jobs:
        await session.execute(delete(f).where(f.id.in_(jobs)).execution_options(synchronize_session=False))
    return {"quarantined_payloads": len(held), "fetch_jobs": len(jobs)}



async def names_an_erased_customer(session: AsyncSession, guard: ErasureGuard, document: str) -> bool:
    """Whether a document about to be stored names a customer erased before (late deliveries)."""
    candidates = {c for value in values_in(document) if 0 < len(value.strip()) <= MAX_ID_CHARS
                  for c in (value, value.strip(), _normal(value))}
    candidates = list(candidates)
    for start in range(0, len(candidates), 500):
        if await guard.erased(session, candidates[start:start + 500]):
            return True
    return False
