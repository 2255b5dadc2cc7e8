"""Comment text as tokens: folded (lowercase, no accents) for matching, with offsets into the
original so evidence is always quoted verbatim. No I/O.

Folding maps one character to one character, so a position in the folded text is the same
position in the original: no offset table is needed for the common case.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# The analyzer looks at this much of a comment; ingest accepts 5,000 characters by default, and
# a setting can raise that, so the bound here is what keeps one analysis bounded in time.
MAX_ANALYSED_CHARS = 8_000

WORD, EMOJI, PUNCT = "W", "E", "P"
CAPS, ELONGATED = 1, 2
BOUNDARY_PUNCT = frozenset(".!?;:…\n,()-")
SENTENCE_END = frozenset(".!?…\n")


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and len(base.lower()) == 1:
            table[code] = base.lower()
    for ch in "’‘‛´`′ʼ":
        table[ord(ch)] = "'"
    for ch in "“”„«»″":
        table[ord(ch)] = '"'
    for ch in "‐‑‒–—―−":
        table[ord(ch)] = "-"
    for ch in "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\r":
        table[ord(ch)] = " "
    table[ord("¡")] = " "
    table[ord("¿")] = " "
    table[ord("ß")] = "ß"
    return table


_FOLD = _fold_table()
_COMBINING = re.compile("[\u0300-\u036f]")
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")
# Word characters include combining accents so a decomposed "é" stays inside its word.
_W = r"(?:[^\W_]|[\u0300-\u036f])"
_EMOJI_CHARS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u3030\u303d\u3297\u3299"
# Words first: most positions start one. Emoticons that begin with a letter ("xD") and ratings
# ("8/10") are recognised after the word that starts them.
_TAIL = (
    r"|(?P<emoticon>(?<![\w/:])(?:>:\(|<\/?3|[:;=][-'^o]?[)(\]\[dpo/\\|*3@]+|-_-|\^_?\^)(?![\w/]))"
    r"|(?P<punct>[.!?;:…]+|,|\n|[()]|(?<=\s)-+(?=\s))"
    rf"|(?P<emoji>[{_EMOJI_CHARS}])"
)
_TOKEN = re.compile(r"(?P<word>[^\W_]+(?:'[^\W_]+)*)" + _TAIL)
# the same, for a comment with combining accents (a decomposed "é" stays inside its word): slower
_TOKEN_COMBINING = re.compile(rf"(?P<word>[^\W_]{_W}*(?:'{_W}+)*)" + _TAIL)
_RATING = re.compile(r"\d{1,2}(?:[.,]5)?\s?/\s?(?:10|5)(?![\w/])")
_WORD_EMOTICONS = frozenset({"xd", "xdd", "xddd"})


class Token(NamedTuple):
    kind: str  # WORD, EMOJI (emoji, emoticon, "8/10" rating) or PUNCT
    norm: str  # folded form used for matching
    start: int  # offsets into the original comment
    end: int
    flags: int  # CAPS | ELONGATED


def fold(text: str) -> str:
    """Lowercase without accents, one character for one character (offsets are kept)."""
    low = text.lower()
    if len(low) != len(text):  # a few characters (e.g. "İ") lowercase to two
        low = "".join((c.lower() or c)[0] for c in text)
    return low.translate(_FOLD)


def squeeze(word: str, keep: int = 1) -> str:
    """ "sooo" -> "so" (keep=1) or "soo" (keep=2): customers stretch words for emphasis."""
    return _LETTER_RUN.sub(lambda m: m.group(1) * keep, word)


def normalise_word(word: str) -> str:
    """The matching form of one folded word: no combining accents, no English possessive."""
    if "\u0300" <= max(word) and _COMBINING.search(word):
        word = _COMBINING.sub("", word)
    if word.endswith("'s") and len(word) > 2:
        word = word[:-2]
    return word


_STRETCHED: dict[tuple[int, str], str] = {}


def _stretched(word: str, known: frozenset[str] | set[str]) -> str:
    """The squeezed form of a stretched word ("sooo" -> "so", "goood" -> "good"), or "" (cached
    per vocabulary: which form wins depends on the words known)."""
    result = ""
    if _LETTER_RUN.search(word):
        one, two = squeeze(word, 1), squeeze(word, 2)
        result = two if (two in known and one not in known) else one
    if len(_STRETCHED) >= 50_000:
        _STRETCHED.clear()
    _STRETCHED[(id(known), word)] = result
    return result


def tokenize(text: str, known: frozenset[str] | set[str] = frozenset()) -> list[Token]:
    """Tokens of a comment (at most MAX_ANALYSED_CHARS of it). `known` lets an elongated word
    ("goood") resolve to whichever squeezed form the lexicons know ("good", not "god")."""
    text = text[:MAX_ANALYSED_CHARS]
    folded = fold(text)
    # whole-text checks first, so the per-word work is skipped in the common case
    special = "'" in folded or _COMBINING.search(folded) is not None
    cased = folded != text
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # Token(...) through its generated __new__ costs three times more
    skip_to = 0
    combining = special and _COMBINING.search(folded) is not None
    for m in (_TOKEN_COMBINING if combining else _TOKEN).finditer(folded):
        start, end = m.span()
        if start < skip_to:
            continue
        kind = m.lastgroup
        if kind == "word":
            norm = normalise_word(m.group()) if special else m.group()
            if not norm:
                continue
            if norm[0].isdigit() and "/" in folded[end : end + 2] and (start == 0 or not folded[start - 1].isalnum()):
                r = _RATING.match(folded, start)
                if r:
                    skip_to = r.end()
                    append(new(Token, (EMOJI, r.group().replace(" ", "").replace(",", "."), start, skip_to, 0)))
                    continue
            if norm in _WORD_EMOTICONS:
                append(new(Token, (EMOJI, "xd", start, end, 0)))
                continue
            flags = 0
            if cased and end - start > 1 and text[start].isupper() and text[start:end].isupper():
                flags = CAPS
            if len(norm) > 2:
                stretched = _STRETCHED.get((id(known), norm))
                if stretched is None:
                    stretched = _stretched(norm, known)
                if stretched:
                    norm = stretched
                    flags |= ELONGATED
            append(new(Token, (WORD, norm, start, end, flags)))
        elif kind == "punct":
            append(new(Token, (PUNCT, m.group(), start, end, 0)))
        else:
            append(new(Token, (EMOJI, m.group(), start, end, 0)))
    return tokens


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A lexicon or cue phrase as the token norms it matches; a trailing `*` on a word (a stem)
    is kept on that word."""
    out = []
    for part in fold(phrase).split():
        if part == "_":
            out.append(part)
            continue
        stem = part.endswith("*")
        words = [normalise_word(t.norm) for t in tokenize(part.rstrip("*"))]
        if not words:
            continue
        if stem:
            words[-1] += "*"
        out.extend(words)
    return tuple(out)


def shouting(text: str) -> bool:
    """Most letters upper case: the whole comment is shouted, so CAPS on one word says less."""
    head = text[:400]
    if head.lower() == head:  # the common case, at C speed
        return False
    words = [w for w in head.split() if w.isalpha()]
    return sum(len(w) for w in words) >= 8 and sum(w.isupper() for w in words) >= 0.8 * len(words)
