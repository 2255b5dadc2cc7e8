"""Which causes of the taxonomy a comment talks about, with the words that matched and the
polarity of the place where they occur. No I/O.

A cause's polarity is the sentiment of the stretch of text around its cue: the part of the clause
it sits in (clauses split further at "y"/"and"), else its clause, else its sentence, else the
whole comment's polarity.
"""

from __future__ import annotations

from collections import defaultdict

from .analysis import MAX_CAUSES, MAX_EVIDENCE_CHARS, NEGATIVE, NEUTRAL, POSITIVE, CauseMention
from .patterns import PhraseMatcher
from .sentiment import Sentiment
from .taxonomy import Taxonomy
from .text import Token, phrase_tokens

CueMatcher = PhraseMatcher[frozenset[str]]
LOCAL = 0.3  # a local sum of valences below this says nothing: look wider


def compile_cues(taxonomy: Taxonomy, languages: tuple[str, ...] | None = None) -> CueMatcher:
    """One matcher for the active causes' cues in every language (or only in `languages`): a
    comment often mixes in another language's words ("la app", "el login")."""
    entries = []
    for cause in taxonomy.active:
        for lang, cues in cause.cues.items():
            if languages is not None and lang not in languages:
                continue
            for cue in cues:
                if cue.startswith("-"):
                    entries.append((phrase_tokens(cue[1:]), frozenset()))
                else:
                    entries.append((phrase_tokens(cue), frozenset({cause.key})))
    return PhraseMatcher(entries, merge=lambda a, b: a | b)


def _sign(value: float) -> str | None:
    if value >= LOCAL:
        return POSITIVE
    if value <= -LOCAL:
        return NEGATIVE
    return None


def tag_causes(
    text: str, tokens: list[Token], norms: list[str], s: Sentiment, cues: CueMatcher, overall: str
) -> tuple[CauseMention, ...]:
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for start, end, keys in cues.scan(norms):
        for key in sorted(keys):  # one cue of several causes: a stable order
            spans[key].append((start, end))
    if not spans:
        return ()
    # sums of valence per stretch: level 0 part, 1 clause, 2 sentence
    sums: tuple[dict[int, float], ...] = (defaultdict(float), defaultdict(float), defaultdict(float))
    for k, v in s.contributions:
        clause, part, sentence = s.place(k)
        sums[0][part] += v
        sums[1][clause] += v
        sums[2][sentence] += v
    found = sorted(spans.items(), key=lambda kv: kv[1][0][0])[:MAX_CAUSES]  # first mention first
    mentions = []
    for key, where in found:
        polarity = None
        located = [s.place(start) for start, _ in where]
        for level, index in ((0, 1), (1, 0), (2, 2)):
            polarity = _sign(sum(sums[level][i] for i in {p[index] for p in located}))
            if polarity:
                break
        start, end = where[0]
        evidence = text[tokens[start].start : tokens[end - 1].end][:MAX_EVIDENCE_CHARS]
        mentions.append(CauseMention(key, evidence, polarity or (overall if overall else NEUTRAL)))
    return tuple(mentions)
