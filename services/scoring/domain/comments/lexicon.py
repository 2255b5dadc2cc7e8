"""The analyzer's word lists, read once from the package's own data files (importlib.resources:
they ship inside the wheel; nothing is fetched). Formats are documented in docs/comment-analysis.md.

sentiment_<lang>.txt   phrase | valence (-4..4) | tags | valence when negated (optional)
modifiers_<lang>.txt   phrase | kind | value
*_neighbours.txt       the same, for Portuguese, Italian and French words read with the Spanish lexicon
stopwords_<lang>.txt   one function word a line (language id, keyphrases, negation scope)
emoji.txt              emoji or emoticon | valence | tags
languages.txt          lang: function words of languages other than es/en (language id only)
abbreviations.txt      shorthand | word ("q | que", "thx | thanks")

Tags: R, X, I mark explicit cues of rechazo, éxtasis and indiferencia; S marks an interjection
that turns sarcastic in a negative comment ("Genial, otra vez sin luz"); F marks a discourse
marker that is no opinion when it stands alone at the start of a clause ("Bueno, ..."); ! marks a
phrase that is never negated (one starting with a negator, "no me gusta", is never negated either).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from .patterns import PhraseMatcher
from .text import phrase_tokens

SENT, NEG, NEGV, INT, BUT, THOUGH, PAUSE, PAST, WISH = (
    "sent",
    "neg",
    "negv",
    "int",
    "but",
    "though",
    "pause",
    "past",
    "wish",
)
# Word classes for the time-span rule ("tres semanas", "5 days later", "en 5 minutos"): kept in
# sets, not in the matcher.
UNIT, UNITS, QTY, FAST, EVERY, WAITLEAD, WAITTRAIL = "unit", "units", "qty", "fast", "every", "waitlead", "waittrail"
WORD_CLASSES = frozenset({UNIT, UNITS, QTY, FAST, EVERY, WAITLEAD, WAITTRAIL})
MODIFIER_KINDS = frozenset({NEG, NEGV, INT, BUT, THOUGH, PAUSE, PAST, WISH}) | WORD_CLASSES
LANGUAGES = ("es", "en")


@dataclass(frozen=True, slots=True)
class Term:
    kind: str
    value: float  # valence (SENT) or multiplier (INT)
    tags: str = ""
    negated: float | None = None  # valence under negation, when the default rule is wrong for it
    fixed: bool = False  # carries its own negation ("no me gusta", "never again"): not flipped


@dataclass(frozen=True)
class Lexicon:
    language: str
    matcher: PhraseMatcher[Term]
    stopwords: frozenset[str]
    classes: dict[str, frozenset[str]]  # word classes of the time-span rule -> words or two-word phrases
    borrowed: frozenset[str] = frozenset()  # neighbour languages' words it also reads (no evidence of its own)

    @property
    def words(self) -> frozenset[str]:
        return self.matcher.words


def _lines(name: str):
    text = resources.files(__package__).joinpath("data", name).read_text("utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            yield number, line


def _fields(name: str, number: int, line: str, least: int) -> list[str]:
    # the first field ends at the first " | ", so an emoticon such as ":|" can be a phrase
    head, sep, rest = line.partition(" | ")
    fields = [head.strip()] + ([f.strip() for f in rest.split("|")] if sep else [])
    if len(fields) < least or not fields[0]:
        raise ValueError(f"{name}:{number}: expected at least {least} fields separated by '|': {line!r}")
    return fields


def _sentiment_terms(name: str):
    for number, line in _lines(name):
        f = _fields(name, number, line, 2)
        negated = float(f[3]) if len(f) > 3 and f[3] else None
        yield phrase_tokens(f[0]), Term(SENT, float(f[1]), f[2] if len(f) > 2 else "", negated)


def _modifier_terms(name: str):
    for number, line in _lines(name):
        f = _fields(name, number, line, 2)
        if f[1] not in MODIFIER_KINDS:
            raise ValueError(f"{name}:{number}: unknown modifier kind {f[1]!r}")
        value = float(f[2]) if len(f) > 2 and f[2] else 0.0
        yield phrase_tokens(f[0]), Term(f[1], value)


@cache
def lexicon(language: str) -> Lexicon:
    """The sentiment lexicon of "es" or "en" (modifiers and sentiment phrases in one matcher:
    a sentiment phrase that starts with a negator, "no me gusta", outranks the negator)."""
    if language not in LANGUAGES:
        raise ValueError(f"no lexicon for language {language!r}")
    neighbours = language == "es"  # Portuguese, Italian, French comments are read with Spanish
    modifiers = list(_modifier_terms(f"modifiers_{language}.txt"))
    terms = list(_sentiment_terms(f"sentiment_{language}.txt"))
    borrowed_modifiers = list(_modifier_terms("modifiers_neighbours.txt")) if neighbours else []
    borrowed_terms = list(_sentiment_terms("sentiment_neighbours.txt")) if neighbours else []
    entries, classes = [], {k: set() for k in WORD_CLASSES}
    for words, term in modifiers + borrowed_modifiers:
        if term.kind in WORD_CLASSES:
            classes[term.kind].add(" ".join(words))
        else:
            entries.append((words, term))
    negators = {words[0] for words, term in entries if term.kind in (NEG, NEGV) and len(words) == 1}
    for words, term in terms + borrowed_terms:
        if words and (words[0] in negators or "!" in term.tags):
            term = Term(term.kind, term.value, term.tags.replace("!", ""), term.negated, fixed=True)
        entries.append((words, term))
    stop = frozenset(w for _, line in _lines(f"stopwords_{language}.txt") for w in phrase_tokens(line))
    own = {w for words, _ in modifiers + terms for w in words}
    borrowed = {w for words, _ in borrowed_modifiers + borrowed_terms for w in words} - own - stop
    return Lexicon(
        language, PhraseMatcher(entries), stop, {k: frozenset(v) for k, v in classes.items()}, frozenset(borrowed)
    )


@cache
def abbreviations() -> dict[str, str]:
    """Chat shorthand customers type ("q", "xq", "thx") -> the word it stands for."""
    table = {}
    for number, line in _lines("abbreviations.txt"):
        f = _fields("abbreviations.txt", number, line, 2)
        table[f[0].lower()] = f[1].lower()
    return table


@cache
def emoji() -> dict[str, Term]:
    table = {}
    for number, line in _lines("emoji.txt"):
        f = _fields("emoji.txt", number, line, 2)
        table[f[0].lower()] = Term(SENT, float(f[1]), f[2] if len(f) > 2 else "")
    return table


@cache
def other_languages() -> dict[str, frozenset[str]]:
    """Function words of languages the analyzer names but does not analyse."""
    out = {}
    for number, line in _lines("languages.txt"):
        lang, _, words = line.partition(":")
        if not words:
            raise ValueError(f"languages.txt:{number}: expected 'lang: words'")
        out[lang.strip()] = frozenset(w for word in words.split() for w in phrase_tokens(word))
    return out


def rating(token: str) -> Term | None:
    """ "8/10", "4/5": a score the customer wrote in the comment."""
    try:
        num, den = token.split("/")
        share = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    if not 0 <= share <= 1:
        return None
    valence = round((share - 0.6) * 8, 2)  # 6/10 is neutral, 10/10 +3.2, 0/10 -4.8
    valence = max(-3.5, min(3.2, valence))
    tags = "X" if share >= 0.95 else "R" if share <= 0.2 else ""
    return Term(SENT, valence, tags)
