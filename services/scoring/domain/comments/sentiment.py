"""The sentiment of a comment, clause by clause. No I/O.

Each lexicon term found has a valence (-4..4). Within its clause it is scaled by an intensifier
before it ("muy", "super", "un poco"), by CAPS, elongation and "-ísimo", and flipped by a negator
in scope ("no", "nada", "sin", "not", "never": the next three content words, never past a comma or
a contrast). A contrast reweighs clauses: what comes after "pero"/"but"/"sin embargo"/"however"
counts 1.5 and what came before 0.5; a concession ("aunque", "although", "a pesar de") counts 0.5.
Exclamation marks push their clause further from zero. The weighted sum is squashed to -1..1.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

from .lexicon import BUT, INT, NEG, NEGV, PAST, PAUSE, SENT, THOUGH, UNIT, UNITS, WISH, Lexicon, Term, emoji, rating
from .text import CAPS, ELONGATED, EMOJI, PUNCT, SENTENCE_END, WORD, Token
from .timespans import time_span

SUPERLATIVE = 4  # token flag: "-ísimo" folded back onto its base word
NEGATION_SCOPE = 3  # content words a negator reaches...
NEGATION_TOKENS = 5  # ...within this many words
INTENSIFIER_REACH = 3  # tokens an intensifier reaches
UNMET_ACTION = -1.0  # "no me llamaron", "can't log in": a negated verb with no sentiment word
EXASPERATION = -0.8  # "??" after a clause that says nothing good
ALPHA = 15.0  # squashing constant (the sum that maps to ~0.71 is sqrt(ALPHA))
COORDINATORS = frozenset({"y", "e", "and", "plus", "ademas", "tambien", "also"})


@dataclass(slots=True)
class Clause:
    weight: float = 1.0
    total: float = 0.0
    sentence: int = 0
    exclaim: int = 0
    questions: int = 0
    items: int = 0  # sentiment terms and emoji in the clause
    past: bool = False  # "antes era...", "used to...": what it says no longer holds
    wish: bool = False  # "espero que...", "until it's fixed": good words there are hopes, not praise


@dataclass(slots=True)
class Cue:
    tag: str  # R, X, I or S
    valence: float  # the term's valence as it counted (after negation)
    clause: int
    token: int


@dataclass
class Sentiment:
    score: float  # -1..1
    total: float  # weighted sum before squashing
    contributions: list[tuple[int, float]]  # (token, valence as it counted, unweighted)
    marks: list[int]  # token where each stretch begins...
    places: list[tuple[int, int, int]]  # ...and its (clause, part, sentence)
    clauses: list[Clause]
    cues: list[Cue] = field(default_factory=list)
    lexical: list[bool] = field(default_factory=list)  # per token: part of a lexicon term

    def weighted(self, clause: int) -> float:
        c = self.clauses[clause]
        return c.weight * c.total

    def place(self, token: int) -> tuple[int, int, int]:
        """(clause, part, sentence) of a token; a part is a clause split further at "y"/"and"."""
        return self.places[bisect_right(self.marks, token) - 1]


def _negate(term: Term, value: float) -> float:
    """Negated valence: a positive word turns fairly negative ("no me gustó"), a negative one
    only mildly positive ("no está mal", "not bad"); a term may say otherwise ("funciona")."""
    if term.negated is not None:
        return term.negated * (abs(value / term.value) if term.value else 1.0)
    return -0.75 * value if value > 0 else -0.5 * value


_CONTENT, _FUNCTION, _COORDINATOR, _UNIT = 0, 1, 2, 3
_INFO: dict[tuple[str, str], dict[str, tuple[bool, bool, int]]] = {}
_INFO_LIMIT = 50_000


def _word_info(lex: Lexicon, fallback: Lexicon | None) -> dict[str, tuple[bool, bool, int]]:
    key = (lex.language, fallback.language if fallback is not None else "")
    table = _INFO.get(key)
    if table is None or len(table) >= _INFO_LIMIT:
        table = _INFO[key] = {}
    return table


def _learn(table: dict, word: str, lex: Lexicon, fallback: Lexicon | None) -> tuple[bool, bool, int]:
    """What the walk needs to know about a word, once: does a pattern of the lexicon (or, for a
    content word, of the other lexicon) start with it, and its role."""
    stop = word in lex.stopwords
    starts = lex.matcher.may_start(word)
    starts_fallback = fallback is not None and not stop and fallback.matcher.may_start(word)
    role = (
        _COORDINATOR
        if word in COORDINATORS
        else _UNIT
        if word in lex.classes[UNIT] or word in lex.classes[UNITS]
        else _FUNCTION
        if stop
        else _CONTENT
    )
    table[word] = (starts, starts_fallback, role)
    return table[word]


class _Walk:
    """One pass over the tokens; state for negation, intensifiers and clauses."""

    def __init__(
        self,
        tokens: list[Token],
        norms: list[str],
        flags: list[int],
        lex: Lexicon,
        fallback: Lexicon | None,
        shout: bool,
    ):
        self.tokens, self.norms, self.flags = tokens, norms, flags
        self.lex, self.fallback, self.shout = lex, fallback, shout
        self.contrib: list[tuple[int, float]] = []
        self.lexical = [False] * len(tokens)
        self.clauses = [Clause()]
        self.cues: list[Cue] = []
        self.marks = [0]
        self.places = [(0, 0, 0)]
        self.part = 0
        self.sentence = 0
        self.neg_left = 0
        self.neg_tokens = 0
        self.neg_verbal = False
        self.neg_hit = False
        self.neg_content = 0
        self.neg_at = -1
        self.int_mult = 1.0
        self.int_left = 0
        self.emoji = emoji()

    # -- clauses -------------------------------------------------------------------------
    def mark(self, i: int) -> None:
        """The state changes from token i on."""
        place = (len(self.clauses) - 1, self.part, self.sentence)
        if self.marks[-1] == i:
            self.places[-1] = place
        elif self.places[-1] != place:
            self.marks.append(i)
            self.places.append(place)

    def new_clause(self, i: int, weight: float = 1.0, past: bool = False) -> None:
        """A new clause from token i on."""
        self.end_negation()
        self.int_left = 0
        self.part += 1
        current = self.clauses[-1]
        if current.items == 0 and current.total == 0 and current.exclaim == 0 and current.questions == 0:
            current.weight, current.past = weight, past
            current.sentence = self.sentence
        else:
            self.clauses.append(Clause(weight=weight, sentence=self.sentence, past=past))
        self.mark(i)

    def end_negation(self) -> None:
        if self.neg_left and self.neg_verbal and not self.neg_hit and self.neg_content:
            self.add(self.neg_at, UNMET_ACTION)
        self.neg_left = 0

    def add(self, i: int, value: float) -> None:
        self.contrib.append((i, value))
        self.clauses[-1].total += value

    # -- tokens --------------------------------------------------------------------------
    def run(self) -> None:
        tokens, norms, n = self.tokens, self.norms, len(self.tokens)
        matcher = self.lex.matcher
        fallback = self.fallback.matcher if self.fallback is not None else None
        info = _word_info(self.lex, self.fallback)
        i = 0
        while i < n:
            tok = tokens[i]
            kind = tok.kind
            if kind == PUNCT:
                self.punct(i, tok.norm)
                i += 1
                continue
            if kind == EMOJI:
                term = self.emoji.get(tok.norm) or rating(tok.norm)
                if term is not None:
                    self.add(i, term.value)
                    self.clauses[-1].items += 1
                    if term.tags:
                        self.tag(term.tags, term.value, i)
                i += 1
                continue
            if self.neg_left:
                self.neg_tokens += 1
                if self.neg_tokens > NEGATION_TOKENS:
                    self.end_negation()
            word = norms[i]
            what = info.get(word)
            if what is None:
                what = _learn(info, word, self.lex, self.fallback)
            starts, starts_fallback, role = what
            m = matcher.match_at(norms, i) if starts else None
            if m is None and starts_fallback:
                m = fallback.match_at(norms, i)
            if m is not None:
                self.term(i, m[0], m[1])
                i += m[0]
                continue
            if role == _UNIT:
                span = time_span(self.tokens, self.norms, i, self.lex.classes)
                if span:
                    self.term(i, 1, Term(SENT, span))
                    i += 1
                    continue
                role = _FUNCTION if word in self.lex.stopwords else _CONTENT
            if role == _COORDINATOR:  # "no había permanencia y era mentira": the negation stops here
                self.end_negation()
                self.part += 1
                self.mark(i)
            elif role == _CONTENT:
                if self.neg_left:
                    self.neg_content += 1
                    self.neg_left -= 1
                    if not self.neg_left:
                        self.end_negation()
                if self.int_left:
                    self.int_left -= 1
            i += 1
        self.end_negation()

    def punct(self, i: int, mark: str) -> None:
        """A punctuation mark closes its clause (it belongs to it); a new one starts after it."""
        bangs = mark.count("!")
        if bangs:
            self.clauses[-1].exclaim += bangs
        if "?" in mark:
            self.clauses[-1].questions += mark.count("?")
        if any(ch in SENTENCE_END for ch in mark):
            self.sentence += 1
        self.new_clause(i + 1)
        self.clauses[-1].sentence = self.sentence

    def term(self, i: int, length: int, term: Term) -> None:
        kind = term.kind
        for k in range(i, i + length):
            self.lexical[k] = True
        if kind in (NEG, NEGV):
            if not self.neg_left:
                self.neg_hit, self.neg_content, self.neg_at, self.neg_verbal = False, 0, i, False
            self.neg_verbal = self.neg_verbal or kind == NEGV
            self.neg_left = NEGATION_SCOPE
            self.neg_tokens = 0
            return
        if kind == WISH:
            self.clauses[-1].wish = True
            return
        if kind == INT:
            self.int_mult = min(2.0, self.int_mult * term.value) if self.int_left else term.value
            self.int_left = INTENSIFIER_REACH
            return
        if kind in (BUT, THOUGH, PAUSE, PAST):
            if kind == BUT:
                for c in self.clauses:
                    c.weight *= 0.5
            self.new_clause(i, {BUT: 1.5, THOUGH: 0.5, PAUSE: 1.0, PAST: 1.0}[kind], past=kind == PAST)
            if kind == BUT:  # the clause opened by "pero" must not be halved by the loop above
                self.clauses[-1].weight = 1.5
            return
        if "F" in term.tags and self.clauses[-1].items == 0 and self._alone(i + length):
            return  # "Bueno, ..." / "Well, ...": a discourse marker, not an opinion
        value = term.value
        flags = 0
        for k in range(i, i + length):
            flags |= self.flags[k]
        if flags & CAPS:
            value *= 1.15 if self.shout else 1.4
        if flags & ELONGATED:
            value *= 1.25
        if flags & SUPERLATIVE:
            value *= 1.4
        if self.int_left:
            value *= self.int_mult
            self.int_left = 0
        tags = term.tags
        if self.clauses[-1].past and not term.fixed:
            value, tags = _negate(term, value), ""
        if self.clauses[-1].wish and value > 0:
            value, tags = 0.1 * value, ""
        if self.neg_left and not term.fixed:
            value = _negate(term, value)
            tags = ""
            self.neg_hit = True
            self.neg_left -= 1
            if not self.neg_left:
                self.end_negation()
        elif self.neg_left:
            self.end_negation()
        if value:
            self.add(i, value)
        self.clauses[-1].items += 1
        if tags:
            self.tag(tags, value, i)

    def _alone(self, j: int) -> bool:
        """The marker is followed by punctuation and then more words ("Bueno, ..."), not the
        whole comment ("Bueno.")."""
        tokens = self.tokens
        if j >= len(tokens) or tokens[j].kind != PUNCT:
            return False
        return any(t.kind == WORD for t in tokens[j + 1 : j + 6])

    def tag(self, tags: str, value: float, i: int) -> None:
        for t in tags:
            self.cues.append(Cue(t, value, len(self.clauses) - 1, i))

    # -- after the walk ------------------------------------------------------------------
    def finish(self) -> Sentiment:
        for c in self.clauses:
            if c.total and c.exclaim:
                c.total += math.copysign(0.3 * min(c.exclaim, 4), c.total)
            if c.questions >= 2 and c.total <= 0.5:
                c.total += EXASPERATION
        self.sarcasm()
        total = sum(c.weight * c.total for c in self.clauses)
        score = total / math.sqrt(total * total + ALPHA)
        return Sentiment(
            round(max(-1.0, min(1.0, score)), 4),
            total,
            self.contrib,
            self.marks,
            self.places,
            self.clauses,
            self.cues,
            self.lexical,
        )

    def sarcasm(self) -> None:
        """ "Genial, otra vez sin luz", "Great, another outage. Thanks a lot.": a positive
        interjection standing alone in its clause, in a comment otherwise negative."""
        lone = {c.clause for c in self.cues if c.tag == "S" and c.valence > 0 and self.clauses[c.clause].items == 1}
        if not lone:
            return
        others = [c for k, c in enumerate(self.clauses) if k not in lone]
        rest = sum(c.weight * c.total for c in others)
        if rest > -1.0 or any(c.total >= 1.0 for c in others):
            return
        for cue in [c for c in self.cues if c.tag == "S" and c.clause in lone]:
            clause = self.clauses[cue.clause]
            flipped = -0.8 * abs(clause.total)
            self.contrib.append((cue.token, flipped - clause.total))
            clause.total = flipped
        self.cues = [c for c in self.cues if not (c.clause in lone and c.tag in "XS")]


def sentiment(
    tokens: list[Token],
    norms: list[str],
    flags: list[int],
    lex: Lexicon,
    fallback: Lexicon | None = None,
    shout: bool = False,
) -> Sentiment:
    walk = _Walk(tokens, norms, flags, lex, fallback, shout)
    walk.run()
    return walk.finish()
