"""What people read, in Spanish and English: the language a request asks for (`Accept-Language`,
RFC 9110 with q-values) and the catalogues that translate what Lazo says (shared/i18n/*.json).

English is the source language: a message is looked up by its English text, or matched against
the catalogue's patterns (messages carrying values, such as a number of bytes or a role). What the
catalogue does not know stays in English, so nothing is ever lost in translation. Pure: no I/O but
reading the catalogues once.
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from functools import cache
from pathlib import Path

SOURCE = "en"
LANGUAGES = ("en", "es")
_HERE = Path(__file__).parent
_MAX_HEADER = 512  # an Accept-Language longer than this is not a person's browser: the default then

# The language of the request being answered (set by shared.http.app's guard for each request).
current_language: ContextVar[str] = ContextVar("lazo_language", default=SOURCE)


def negotiate(accept_language: str | None, supported: tuple[str, ...] = LANGUAGES) -> str:
    """The supported language the header prefers most (`es-MX;q=0.9, en;q=0.5` → `es`), else English."""
    if not accept_language or len(accept_language) > _MAX_HEADER:
        return SOURCE
    best, best_q = SOURCE, 0.0
    for part in accept_language.split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        language = tag.strip().lower().split("-")[0]
        if language == "*":
            language = SOURCE
        # Equal weights keep the header's order: the first listed wins.
        if language in supported and q > best_q and 0 < q <= 1:
            best, best_q = language, q
    return best


@cache
def catalogue(language: str) -> dict:
    if language == SOURCE:
        return {"messages": {}, "patterns": []}
    data = json.loads((_HERE / f"{language}.json").read_text(encoding="utf-8"))
    data["patterns"] = [(re.compile(p), t) for p, t in data.get("patterns", {}).items()]
    return data


def translate(text: str, language: str | None = None) -> str:
    """`text` (English) in `language` (default: the request's), or as it is when not catalogued."""
    language = language or current_language.get()
    if language == SOURCE or not text:
        return text
    known = catalogue(language)
    if (found := known["messages"].get(text)) is not None:
        return found
    for pattern, template in known["patterns"]:
        if (m := pattern.fullmatch(text)) is not None:
            return template.format(
                **{k: translate(v, language) if k.startswith("t_") else v for k, v in m.groupdict().items()}
            )
    return text


def t(template: str, language: str, **values: object) -> str:
    """A message with values: its template (`"IEC {iec} · {segment}"`) translated, then filled."""
    return translate(template, language).format(**values)


def translate_detail(detail: str, language: str | None = None) -> str:
    """A problem's detail: `field: message; field: message` parts translated message by message."""
    language = language or current_language.get()
    if language == SOURCE:
        return detail
    whole = translate(detail, language)
    if whole != detail or "; " not in detail and ": " not in detail:
        return whole
    parts = []
    for part in detail.split("; "):
        field, sep, message = part.partition(": ")
        parts.append(f"{field}{sep}{translate(message, language)}" if sep else translate(part, language))
    return "; ".join(parts)
