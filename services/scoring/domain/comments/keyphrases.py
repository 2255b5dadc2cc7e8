"""A few salient noun-ish phrases of a comment, for spotting themes no cause covers. No I/O.

Cheap on purpose: runs of words that are neither function words nor opinion words, joined across
"de"/"of", longest first, verbs that are obviously verbs left out.
"""

from __future__ import annotations

from .analysis import MAX_KEYPHRASE_CHARS, MAX_KEYPHRASES
from .text import WORD, Token

CONNECTORS = frozenset({"de", "del", "of", "al"})
MAX_WORDS = 4
_VERB_ENDINGS = ("aron", "ieron", "ando", "iendo", "aba", "aban", "aste", "iste", "amos", "imos")


def _verbish(word: str) -> bool:
    if len(word) > 5 and word.endswith(_VERB_ENDINGS):
        return True
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


def keyphrases(
    text: str,
    tokens: list[Token],
    norms: list[str],
    opinion: list[bool],
    stopwords: frozenset[str],
    limit: int = MAX_KEYPHRASES,
) -> tuple[str, ...]:
    runs: list[list[int]] = []
    run: list[int] = []
    for i, tok in enumerate(tokens):
        word = norms[i]
        if tok.kind == WORD and not opinion[i] and not word.isdigit():
            if word in CONNECTORS:
                if run:
                    run.append(i)
                continue
            if word not in stopwords and len(word) > 2 and not _verbish(word):
                run.append(i)
                continue
        if run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    if not runs:
        return ()
    scored = []
    for k, r in enumerate(runs):
        while norms[r[-1]] in CONNECTORS:
            r.pop()
        r = r[:MAX_WORDS]
        content = sum(1 for i in r if norms[i] not in CONNECTORS)
        scored.append((-content, -(tokens[r[-1]].end - tokens[r[0]].start), k, r))
    scored.sort()
    picked: dict[str, int] = {}
    for _, _, k, r in scored:
        phrase = " ".join(text[tokens[r[0]].start : tokens[r[-1]].end].lower().split())[:MAX_KEYPHRASE_CHARS]
        if phrase and phrase not in picked:
            picked[phrase] = k
            if len(picked) == limit:
                break
    # the most salient few, in the order the customer wrote them
    return tuple(sorted(picked, key=picked.get))
