"""Time the customer mentions: waiting is a complaint, a short span is praise. No I/O.

"llevo dos horas", "tardaron tres semanas", "5 days later", "hace un mes", "for weeks" count
negative, more for longer units; "en 5 minutos", "within 24 hours", "in seconds", "took two
minutes" count as quick; "tres veces" is having to do it again. A span with no waiting around it
("me regalaron un mes", "todos los días") says nothing. The word classes come from the
modifiers files (unit, units, qty, fast, every, waitlead, waittrail).
"""

from __future__ import annotations

from .lexicon import EVERY, FAST, QTY, UNIT, UNITS, WAITLEAD, WAITTRAIL
from .text import PUNCT, Token

DELAY = -0.9  # a counted span of waiting ("tres semanas")...
QUICK = 0.4  # "en 5 minutos", "within 24 hours"
REPEATED = -0.5  # "tres veces", "four times"
VAGUE_DELAY = -0.5  # "tarda días", "for weeks"
# ...and the longer the unit, the bigger the complaint ("cuatro horas", "three weeks")
_LONGER = {
    w: f
    for f, words in (
        (1.3, ("hora", "horas", "hour", "hours", "hrs")),
        (1.45, ("dia", "dias", "day", "days")),
        (1.6, ("semana", "semanas", "week", "weeks")),
        (1.7, ("mes", "meses", "month", "months")),
    )
    for w in words
}
_SECONDS = frozenset({"segundo", "segundos", "second", "seconds", "secs", "sec"})
_MINUTES = frozenset({"minuto", "minutos", "min", "minute", "minutes", "mins"})
_NUMBERS = {
    "un": 1,
    "una": 1,
    "uno": 1,
    "a": 1,
    "an": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "couple": 2,
    "tres": 3,
    "three": 3,
    "few": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
    "seis": 6,
    "six": 6,
    "siete": 7,
    "seven": 7,
    "ocho": 8,
    "eight": 8,
    "nueve": 9,
    "nine": 9,
    "diez": 10,
    "ten": 10,
    "media": 0.5,
    "half": 0.5,
}


def _amount(word: str) -> float:
    """How many units a quantity word says; large or unknown amounts count as many."""
    if word.isdigit():
        return float(word[:6])
    return _NUMBERS.get(word, 99.0)


def time_span(tokens: list[Token], norms: list[str], i: int, classes: dict[str, frozenset[str]]) -> float:
    """The valence of the time unit at norms[i] (0.0 when it is no span or says nothing)."""
    word = norms[i]
    singular, plural = word in classes[UNIT], word in classes[UNITS]
    if not (singular or plural):
        return 0.0
    words = [k for k in range(max(0, i - 5), i) if tokens[k].kind != PUNCT]
    before = [norms[k] for k in words][-4:]
    after = [norms[k] for k in range(i + 1, min(len(norms), i + 3)) if tokens[k].kind != PUNCT][:2]
    counted = bool(before) and (before[-1].isdigit() or before[-1] in classes[QTY])
    lead = before[:-1] if counted else before
    if word in ("veces", "times") or (counted and word in ("vez", "time")):
        return REPEATED if counted else 0.0
    if word in _SECONDS or (word in _MINUTES and counted and _amount(before[-1]) <= 10):
        return QUICK  # "took two minutes", "en un minuto", "in seconds": quick, whatever the lead
    if lead and (lead[-1] in classes[FAST] or " ".join(lead[-2:]) in classes[FAST]):
        return QUICK if counted else 0.0
    if lead and lead[-1] in classes[EVERY]:
        return 0.0
    waited = (
        any(w in classes[WAITLEAD] for w in lead[-2:])
        or " ".join(lead[-2:]) in classes[WAITLEAD]
        or (after and (after[0] in classes[WAITTRAIL] or " ".join(after) in classes[WAITTRAIL]))
    )
    if not waited:
        return 0.0
    return DELAY * _LONGER.get(word, 1.0) if counted else (VAGUE_DELAY if plural else 0.0)
