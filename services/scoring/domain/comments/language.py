"""Which language a comment is written in: function words and lexicon words counted per
language, plus letters only one language uses. No I/O.

Spanish and English are the languages analysed; Portuguese, French, Italian, Catalan, German and
Dutch are recognised so their comments are not scored with the wrong lexicon. A comment with no
word evidence (emoji only, a number) is "und".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .lexicon import Lexicon, other_languages
from .text import WORD, Token

UNDETERMINED = "und"
ANALYSED_PRIOR = 0.5
_MARKS = {"es": "ñ¿¡", "pt": "ãõ", "de": "ßäöü", "fr": "èêëœ", "ca": "·"}
_ANY_MARK = re.compile("[" + "".join(_MARKS.values()) + "]")
# Words Spanish comments borrow from English: no evidence for either language.
_LOANWORDS = frozenset(
    {
        "ok",
        "okay",
        "app",
        "apps",
        "wifi",
        "email",
        "mail",
        "online",
        "web",
        "link",
        "top",
        "chat",
        "router",
        "software",
        "call",
        "center",
        "internet",
        "fan",
        "crack",
        "whatsapp",
        "bizum",
        "login",
        "password",
        "pack",
        "smartphone",
        "parking",
        "vip",
    }
)


class LanguageIdentifier:
    """Scores each word once per language (cached), then sums over a comment."""

    _CACHE_LIMIT = 50_000

    def __init__(self, lexicons: dict[str, Lexicon], vocabularies: dict[str, Callable[[str], bool]]):
        """`vocabularies` says, per analysed language, whether a content word belongs to it (its
        opinion lexicon and its cue lists, stems included)."""
        self._analysed = [(lang, lex.stopwords, vocabularies[lang]) for lang, lex in lexicons.items()]
        self._others = list(other_languages().items())
        # a lexicon may read a neighbour's word ("muito", "ótimo"): it is no evidence for its language
        self._foreign = frozenset().union(*(lex.borrowed for lex in lexicons.values()))
        self.languages = tuple(lang for lang, _, _ in self._analysed) + tuple(lang for lang, _ in self._others)
        self._cache: dict[str, tuple[float, ...]] = {}

    def _scores(self, word: str) -> tuple[tuple[float, ...], bool]:
        """The word's score per analysed language, and whether it is a function word of another
        recognised language that the analysed ones do not use (only then are those scored)."""
        hit = self._cache.get(word)
        if hit is None:
            foreign = word in self._foreign
            scores = tuple(
                1.0 if word in stop else 0.6 if known(word) and not foreign else 0.0
                for _, stop, known in self._analysed
            )
            exclusive = not any(scores) and any(word in stop for _, stop in self._others)
            hit = (scores, exclusive)
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = hit
        return hit

    def identify(self, tokens: list[Token], norms: list[str], original: str) -> str:
        """`norms` are the tokens' prepared forms (shorthand expanded, typos and "-ísimo" undone)."""
        words = [w for t, w in zip(tokens, norms) if t.kind == WORD and w not in _LOANWORDS and not w.isdigit()]
        if not words:
            return UNDETERMINED
        cache = self._cache
        scored = [cache.get(w) or self._scores(w) for w in words]
        totals = [sum(column) + ANALYSED_PRIOR for column in zip(*(s for s, _ in scored))]
        if any(exclusive for _, exclusive in scored):  # a Portuguese, French... word: score those too
            totals += [sum(1.0 for w in words if w in stop) for _, stop in self._others]
        else:
            totals += [0.0] * len(self._others)
        head = original[:2000].lower()
        if _ANY_MARK.search(head):
            for k, lang in enumerate(self.languages):
                marks = _MARKS.get(lang)
                if marks and any(m in head for m in marks):
                    totals[k] += 1.5
        ranked = sorted(zip(totals, self.languages), key=lambda kv: -kv[0])
        (top, best), (second, _) = ranked[0], ranked[1]
        if top <= ANALYSED_PRIOR or top == second:
            return UNDETERMINED
        return best
