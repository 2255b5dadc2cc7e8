"""Multi-word patterns over token norms, and a cheap typo corrector. No I/O.

A pattern is a tuple of words; a word ending in `*` is a stem and matches any word starting with
it ("factur*" matches "factura", "facturación"), and `_` after the first word stands for any one
word ("tardan _ en contestar"). At each position the longest pattern wins, so a
phrase ("buenas tardes") overrides the words inside it ("buen*").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
MIN_STEM = 3
_CACHE_LIMIT = 50_000  # distinct words remembered per matcher; cleared when full (bounded memory)


WILDCARD = "_"


def word_matches(pattern_word: str, word: str) -> bool:
    if pattern_word == WILDCARD:
        return word[:1].isalnum()
    if pattern_word[-1] == "*":
        return word.startswith(pattern_word[:-1])
    return pattern_word == word


class _Group:
    """The patterns that can start at one word, indexed by their second word (most phrases start
    with a common word, "no", "me", "the": the second word narrows them to a handful)."""

    __slots__ = ("single", "by_second", "others")

    def __init__(self, cands: list[tuple[tuple[str, ...], object, int]]):
        self.single = None  # the payload of a one-word pattern, if any
        by_second: dict[str, list] = {}
        others: list = []
        for rest, payload, length in cands:
            if length == 1:
                if self.single is None:
                    self.single = payload
            elif rest[0].endswith("*") or rest[0] == WILDCARD:
                others.append((rest, payload, length))
            else:
                by_second.setdefault(rest[0], []).append((rest, payload, length))
        for lst in by_second.values():
            lst.sort(key=lambda c: -c[2])
        others.sort(key=lambda c: -c[2])
        self.by_second = by_second
        self.others = tuple(others)


_EMPTY = _Group([])


class PhraseMatcher(Generic[T]):
    """Finds patterns in a sequence of token norms. Several payloads on one pattern are merged by
    `merge` (default: the last one wins)."""

    def __init__(self, entries: Iterable[tuple[Sequence[str], T]], merge=None):
        by_pattern: dict[tuple[str, ...], T] = {}
        for words, payload in entries:
            words = tuple(words)
            if not words:
                continue
            if words[0] == WILDCARD:
                raise ValueError(f"pattern {' '.join(words)!r} starts with a wildcard")
            for w in words:
                if w.endswith("*") and len(w) - 1 < MIN_STEM:
                    raise ValueError(f"stem too short in pattern {' '.join(words)!r}")
            if words in by_pattern and merge is not None:
                payload = merge(by_pattern[words], payload)
            by_pattern[words] = payload
        self._exact: dict[str, list] = {}
        self._stems: dict[str, list] = {}
        for words, payload in by_pattern.items():
            first = words[0]
            index = self._stems if first.endswith("*") else self._exact
            key = first[:-1] if first.endswith("*") else first
            index.setdefault(key, []).append((words[1:], payload, len(words)))
        self._stem_lengths = sorted({len(k) for k in self._stems}, reverse=True)
        every_stem = {w[:-1] for words in by_pattern for w in words if w.endswith("*")}
        self._every_stem = frozenset(every_stem)
        self._every_stem_lengths = sorted({len(s) for s in every_stem}, reverse=True)
        self._groups: dict[str, _Group] = {}
        self._known: dict[str, bool] = {}
        self.words = frozenset(w for words in by_pattern for w in words if not w.endswith("*") and w != WILDCARD)

    def _group(self, word: str) -> _Group:
        group = self._groups.get(word)
        if group is not None:
            return group
        # exact-word patterns first: at equal length they are the more specific
        cands = list(self._exact.get(word, ()))
        for n in self._stem_lengths:
            if n <= len(word):
                cands.extend(self._stems.get(word[:n], ()))
        group = _Group(cands) if cands else _EMPTY
        if len(self._groups) >= _CACHE_LIMIT:
            self._groups.clear()
        self._groups[word] = group
        return group

    def may_start(self, word: str) -> bool:
        """Whether some pattern starts with this word (cached; most words start none)."""
        group = self._groups.get(word)
        if group is None:
            group = self._group(word)
        return group is not _EMPTY

    def knows(self, word: str) -> bool:
        """Whether some pattern could use this word (as a word or through a stem)."""
        hit = self._known.get(word)
        if hit is None:
            hit = word in self.words or any(
                word[:n] in self._every_stem for n in self._every_stem_lengths if n <= len(word)
            )
            if len(self._known) >= _CACHE_LIMIT:
                self._known.clear()
            self._known[word] = hit
        return hit

    def match_at(self, norms: Sequence[str], i: int) -> tuple[int, T] | None:
        """The longest pattern starting at norms[i]: (number of tokens, payload), or None."""
        group = self._groups.get(norms[i])
        if group is None:
            group = self._group(norms[i])
        if group is _EMPTY:
            return None
        n = len(norms)
        best = None
        if i + 1 < n:
            for cands in (group.by_second.get(norms[i + 1], ()), group.others):
                for rest, payload, length in cands:
                    if best is not None and length <= best[0]:
                        break
                    if i + length > n:
                        continue
                    for k, pw in enumerate(rest, start=i + 1):
                        if not word_matches(pw, norms[k]):
                            break
                    else:
                        best = (length, payload)
                        break
        if best is None and group.single is not None:
            return 1, group.single
        return best

    def scan(self, norms: Sequence[str]) -> list[tuple[int, int, T]]:
        """Non-overlapping matches left to right, longest first: (start, end, payload)."""
        out, i, n = [], 0, len(norms)
        groups = self._groups
        while i < n:
            if groups.get(norms[i]) is _EMPTY:  # the common case, without a call
                i += 1
                continue
            m = self.match_at(norms, i)
            if m is None:
                i += 1
                continue
            out.append((i, i + m[0], m[1]))
            i += m[0]
        return out


_VOWELS = frozenset("aeiouy")


def _missing_consonant(typed: str, word: str) -> bool:
    """`word` is `typed` with one letter more; is that letter a consonant?"""
    for i, ch in enumerate(typed):
        if word[i] != ch:
            return word[i] not in _VOWELS
    return word[-1] not in _VOWELS


class Speller:
    """Corrects one-letter typos inside longer words ("fatura" -> "factura", "facturra",
    "fcatura") against a known vocabulary. Only interior edits of words of six letters or more
    (edits at the end are usually inflections: "charger" is not "charge"; short words have too
    many real neighbours), and a letter missing or doubled only if it is a consonant (a vowel
    more or less is often another real word: "resulta" is not "resuelta")."""

    MIN_LEN = 6

    def __init__(self, vocabulary: Iterable[str]):
        self._known = frozenset(w for w in vocabulary if w.isalpha())
        deletes: dict[str, set[str]] = {}
        for w in self._known:
            if len(w) >= self.MIN_LEN:
                for i in range(1, len(w) - 1):
                    deletes.setdefault(w[:i] + w[i + 1 :], set()).add(w)
        self._deletes = deletes
        self._cache: dict[str, str] = {}

    @property
    def known(self) -> frozenset[str]:
        return self._known

    def correct(self, word: str) -> str:
        if len(word) < self.MIN_LEN - 1 or word in self._known or not word.isalpha():
            return word
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        found: set[str] = set()
        for cand in self._deletes.get(word, ()):  # a letter missing
            if _missing_consonant(word, cand):
                found.add(cand)
        if len(word) >= self.MIN_LEN + 1:
            for i in range(1, len(word) - 1):  # a letter too many
                cand = word[:i] + word[i + 1 :]
                if word[i] not in _VOWELS and cand in self._known:
                    found.add(cand)
        for i in range(1, len(word) - 2):  # two letters swapped
            cand = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if cand in self._known:
                found.add(cand)
        found = {w for w in found if w[0] == word[0] and len(w) >= self.MIN_LEN}
        result = found.pop() if len(found) == 1 else word
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = result
        return result
