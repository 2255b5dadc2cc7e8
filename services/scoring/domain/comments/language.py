"""Which language a comment is written in: function words and lexicon words counted per
language, plus letters only one language uses. No I/O.

Spanish and English are the languages analysed; Portuguese, French, Italian, Catalan, German and
Dutch are recognised so their comments are not scored with the wrong lexicon. A comment with no
word evidence (emoji only, a number) is "und".
"""

from __future__ import annotations

from collections.abc import Callable

from .lexicon import Lexicon, other_languages
from .text import WORD, Token

UNDETERMINED = "und"
_MARKS = {"es": "ñ¿¡", "pt": "ãõ", "de": "ßäöü", "fr": "èêëœ", "ca": "·"}
# Words Spanish comments borrow from English: no evidence for either language.
_LOANWORDS = frozenset({"ok", "okay", "app", "apps", "wifi", "email", "mail", "online", "web", "link", "top",
                        "chat", "router", "software", "call", "center", "internet", "fan", "crack",
                        "whatsapp", "bizum", "login", "password", "pack", "smartphone", "parking", "vip"})


def identify(tokens: list[Token], original: str, lexicons: dict[str, Lexicon],
             vocabularies: dict[str, Callable[[str], bool]]) -> str:
    """`vocabularies` says, per analysed language, whether a content word belongs to it (its
    opinion lexicon and its cue lists, stems included)."""
    scores: dict[str, float] = {}
    words = [t.norm for t in tokens if t.kind == WORD and not t.norm.isdigit()]
    words = [w for w in words if w not in _LOANWORDS]
    if not words:
        return UNDETERMINED
    for lang, lex in lexicons.items():
        stop, known = lex.stopwords, vocabularies[lang]
        scores[lang] = sum(1.0 if w in stop else 0.6 if known(w) else 0.0 for w in words)
    for lang, stop in other_languages().items():
        scores[lang] = sum(1.0 for w in words if w in stop)
    head = original[:2000].lower()
    for lang, marks in _MARKS.items():
        if lang in scores and any(m in head for m in marks):
            scores[lang] += 1.5
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0 or top == second:
        return UNDETERMINED
    return best
