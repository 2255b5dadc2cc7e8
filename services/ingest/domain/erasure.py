"""Customer erasure in ingest: the stored webhook bodies that name the customer.

Ingest keeps no customers, only what platforms sent that did not become a response yet: payloads
in quarantine (as sent: emails, names, comments), pending API fetches (the platform's
notification), and webhook responses in its outbox (shared.erasure deletes those). A document
names the customer when a value in it (or a key) is the customer id, compared after decoding:
JSON however escaped (`\\u00e9`, `\\/`), form bodies however percent-encoded, JSON inside a form
field, Unicode normalised (NFC) and trimmed; a body that is none of these names them when the id
appears in it as a whole word. Those rows are deleted: replaying them would bring the data back.

A text search cannot find an escaped id, so every stored document is decoded and looked at, a
few at a time (repository.erase): erasures are rare and the quarantine is small; the cost is one
read of it.

Late deliveries: a platform may deliver again, after the erasure, a payload that names the
customer (a retry). Quarantining it would bring the data back, so its document is withheld
(`withheld`): the row records the delivery and why, not the payload.

Pure code: no I/O.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

# Strings that may be a customer id (ingest takes ids of 1 to 200 characters).
MAX_ID_CHARS = 200
# How deep JSON inside a string (a form field holding JSON, say) is decoded.
MAX_NESTED_DOCUMENTS = 3

WITHHELD_REASON = "withheld: the payload names a customer erased at their request (it was not kept)"


def normal(text: str) -> str:
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
    target = normal(customer_id)
    if not target:
        return False
    is_json, parsed = _json(document)
    if any(normal(value) == target for value in _values(document, is_json, parsed, 0)):
        return True
    if is_json:
        return False
    # Not JSON: also the id as a whole word in the text, as sent or percent-decoded.
    word = re.compile(rf"(?<![\w.@-]){re.escape(target)}(?![\w.@-])")
    return any(word.search(unicodedata.normalize("NFC", text)) for text in (document, unquote_plus(document)))
