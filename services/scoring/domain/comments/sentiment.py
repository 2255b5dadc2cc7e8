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
from dataclasses import dataclass, field

from .lexicon import (BUT, EVERY, FAST, INT, NEG, NEGV, PAST, PAUSE, QTY, SENT, THOUGH, UNIT, UNITS, Lexicon, Term,
                      emoji, rating)
from .text import CAPS, ELONGATED, EMOJI, PUNCT, SENTENCE_END, Token

SUPERLATIVE = 4          # token flag: "-ísimo" folded back onto its base word
NEGATION_SCOPE = 3       # content words a negator reaches...
NEGATION_TOKENS = 5      # ...within this many words
INTENSIFIER_REACH = 3    # tokens an intensifier reaches
UNMET_ACTION = -1.0      # "no me llamaron", "can't log in": a negated verb with no sentiment word
DELAY = -0.9             # "tres semanas", "5 days later", "dos horas en la cola": time spent is a complaint
QUICK = 0.4              # "en 5 minutos", "within 24 hours"
REPEATED = -0.6          # "tres veces", "four times": having to do it again
VAGUE_DELAY = -0.5       # "tarda días", "for weeks"
EXASPERATION = -0.8      # "??" after a clause that says nothing good
ALPHA = 15.0             # squashing constant (the sum that maps to ~0.71 is sqrt(ALPHA))
COORDINATORS = frozenset({"y", "e", "and", "plus", "ademas", "tambien", "also"})


@dataclass(slots=True)
class Clause:
    weight: float = 1.0
    total: float = 0.0
    sentence: int = 0
    exclaim: int = 0
    questions: int = 0
    items: int = 0            # sentiment terms and emoji in the clause
    past: bool = False        # "antes era...", "used to...": what it says no longer holds


@dataclass(slots=True)
class Cue:
    tag: str                  # R, X, I or S
    valence: float            # the term's valence as it counted (after negation)
    clause: int
    token: int


@dataclass
class Sentiment:
    score: float                                  # -1..1
    total: float                                  # weighted sum before squashing
    contributions: list[float]                    # per token, unweighted
    clause_of: list[int]
    part_of: list[int]                            # clauses split further at "y"/"and"
    sentence_of: list[int]
    clauses: list[Clause]
    cues: list[Cue] = field(default_factory=list)
    lexical: list[bool] = field(default_factory=list)  # per token: part of a lexicon term

    def weighted(self, clause: int) -> float:
        c = self.clauses[clause]
        return c.weight * c.total


def _negate(term: Term, value: float) -> float:
    """Negated valence: a positive word turns fairly negative ("no me gustó"), a negative one
    only mildly positive ("no está mal", "not bad"); a term may say otherwise ("funciona")."""
    if term.negated is not None:
        return term.negated * (abs(value / term.value) if term.value else 1.0)
    return -0.75 * value if value > 0 else -0.5 * value


class _Walk:
    """One pass over the tokens; state for negation, intensifiers and clauses."""

    def __init__(self, tokens: list[Token], norms: list[str], flags: list[int],
                 lex: Lexicon, fallback: Lexicon | None, shout: bool):
        self.tokens, self.norms, self.flags = tokens, norms, flags
        self.lex, self.fallback, self.shout = lex, fallback, shout
        n = len(tokens)
        self.contrib = [0.0] * n
        self.lexical = [False] * n
        self.clause_of = [0] * n
        self.part_of = [0] * n
        self.sentence_of = [0] * n
        self.clauses = [Clause()]
        self.cues: list[Cue] = []
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
    def new_clause(self, weight: float = 1.0, past: bool = False) -> None:
        self.end_negation()
        self.int_left = 0
        self.part += 1
        current = self.clauses[-1]
        if current.items == 0 and current.total == 0 and current.exclaim == 0 and current.questions == 0:
            current.weight, current.past = weight, past
            current.sentence = self.sentence
            return
        self.clauses.append(Clause(weight=weight, sentence=self.sentence, past=past))

    def end_negation(self) -> None:
        if self.neg_left and self.neg_verbal and not self.neg_hit and self.neg_content:
            self.add(self.neg_at, UNMET_ACTION)
        self.neg_left = 0

    def add(self, i: int, value: float) -> None:
        self.contrib[i] += value
        self.clauses[-1].total += value

    def place(self, start: int, end: int) -> None:
        c = len(self.clauses) - 1
        for k in range(start, end):
            self.clause_of[k] = c
            self.part_of[k] = self.part
            self.sentence_of[k] = self.sentence

    # -- tokens --------------------------------------------------------------------------
    def run(self) -> None:
        tokens, norms, n = self.tokens, self.norms, len(self.tokens)
        i = 0
        while i < n:
            tok = tokens[i]
            if tok.kind == PUNCT:
                self.punct(i, tok.norm)
                i += 1
                continue
            if tok.kind == EMOJI:
                self.place(i, i + 1)
                term = self.emoji.get(tok.norm) or rating(tok.norm)
                if term is not None:
                    self.add(i, term.value)
                    self.clauses[-1].items += 1
                    self.tag(term.tags, term.value, i)
                i += 1
                continue
            if self.neg_left:
                self.neg_tokens += 1
                if self.neg_tokens > NEGATION_TOKENS:
                    self.end_negation()
            m = self.lex.matcher.match_at(norms, i)
            if m is None and self.fallback is not None and norms[i] not in self.lex.stopwords:
                m = self.fallback.matcher.match_at(norms, i)
            if m is None:
                span = self.time_span(i)
                if span:
                    self.term(i, 1, Term(SENT, span))
                else:
                    self.place(i, i + 1)
                    self.plain_word(norms[i])
                i += 1
                continue
            length, term = m
            self.term(i, length, term)
            i += length
        self.end_negation()

    def time_span(self, i: int) -> float:
        """Valence of a time unit: "dos horas", "5 days later" (delay), "en 5 minutos" (quick),
        "tres veces" (repeated), bare "semanas" (vague delay); "todos los días" is no span."""
        classes, norms, word = self.lex.classes, self.norms, self.norms[i]
        singular, plural = word in classes[UNIT], word in classes[UNITS]
        if not (singular or plural):
            return 0.0
        before = [norms[k] for k in range(max(0, i - 4), i) if self.tokens[k].kind != PUNCT][-3:]
        if before and (before[-1].isdigit() or before[-1] in classes[QTY]):
            lead = before[:-1]
            if lead and (lead[-1] in classes[FAST] or " ".join(lead[-2:]) in classes[FAST]):
                return QUICK
            return REPEATED if word in ("veces", "times", "vez", "time") else DELAY
        if plural and not (before and (before[-1] in classes[EVERY] or before[-1] in classes[FAST])):
            return VAGUE_DELAY if word not in ("veces", "times") else 0.0
        return 0.0

    def punct(self, i: int, mark: str) -> None:
        bangs = mark.count("!")
        if bangs:
            self.clauses[-1].exclaim += bangs
        if mark.count("?"):
            self.clauses[-1].questions += mark.count("?")
        self.place(i, i + 1)
        ends_sentence = any(ch in SENTENCE_END for ch in mark)
        self.new_clause()
        if ends_sentence:
            self.sentence += 1
            self.clauses[-1].sentence = self.sentence

    def plain_word(self, word: str) -> None:
        if word in COORDINATORS:
            self.part += 1
            return
        if word in self.lex.stopwords:
            return
        if self.neg_left:
            self.neg_content += 1
            self.neg_left -= 1
            if not self.neg_left:
                self.end_negation()
        if self.int_left:
            self.int_left -= 1

    def term(self, i: int, length: int, term: Term) -> None:
        kind = term.kind
        for k in range(i, i + length):
            self.lexical[k] = True
        if kind in (NEG, NEGV):
            self.place(i, i + length)
            if not self.neg_left:
                self.neg_hit, self.neg_content, self.neg_at, self.neg_verbal = False, 0, i, False
            self.neg_verbal = self.neg_verbal or kind == NEGV
            self.neg_left = NEGATION_SCOPE
            self.neg_tokens = 0
            return
        if kind == INT:
            self.place(i, i + length)
            self.int_mult = min(2.0, self.int_mult * term.value) if self.int_left else term.value
            self.int_left = INTENSIFIER_REACH
            return
        if kind in (BUT, THOUGH, PAUSE, PAST):
            if kind == BUT:
                for c in self.clauses:
                    c.weight *= 0.5
            self.new_clause({BUT: 1.5, THOUGH: 0.5, PAUSE: 1.0, PAST: 1.0}[kind], past=kind == PAST)
            if kind == BUT:  # the clause opened by "pero" must not be halved by the loop above
                self.clauses[-1].weight = 1.5
            self.place(i, i + length)
            return
        self.place(i, i + length)
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
        self.tag(tags, value, i)

    def _alone(self, j: int) -> bool:
        return j >= len(self.tokens) or self.tokens[j].kind == PUNCT

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
        return Sentiment(round(max(-1.0, min(1.0, score)), 4), total, self.contrib, self.clause_of,
                         self.part_of, self.sentence_of, self.clauses, self.cues, self.lexical)

    def sarcasm(self) -> None:
        """"Genial, otra vez sin luz", "Great, another outage. Thanks a lot.": a positive
        interjection standing alone in its clause, in a comment otherwise negative."""
        lone = {c.clause for c in self.cues if c.tag == "S" and c.valence > 0
                and self.clauses[c.clause].items == 1}
        if not lone:
            return
        others = [c for k, c in enumerate(self.clauses) if k not in lone]
        rest = sum(c.weight * c.total for c in others)
        if rest > -1.0 or any(c.total >= 1.0 for c in others):
            return
        for cue in [c for c in self.cues if c.tag == "S" and c.clause in lone]:
            clause = self.clauses[cue.clause]
            flipped = -0.8 * abs(clause.total)
            self.contrib[cue.token] += flipped - clause.total
            clause.total = flipped
        self.cues = [c for c in self.cues if not (c.clause in lone and c.tag in "XS")]


def sentiment(tokens: list[Token], norms: list[str], flags: list[int], lex: Lexicon,
              fallback: Lexicon | None = None, shout: bool = False) -> Sentiment:
    walk = _Walk(tokens, norms, flags, lex, fallback, shout)
    walk.run()
    return walk.finish()
