"""The seed's five emotional states from a comment's sentiment and its explicit cues. No I/O.

Rechazo ("lo detesto") and éxtasis ("me encanta") need an explicit cue that counted in the
comment's direction (hate, scam, never again, leaving; love, the best, tell everyone) or a very
strong sentiment; otherwise a negative comment is decadencia and a positive one disfrutable.
A weak sentiment with an indifference cue ("me da igual", "normal", "meh") is indiferencia, as is
a weak sentiment with none.
"""

from __future__ import annotations

from .analysis import DECADENCIA, DISFRUTABLE, EXTASIS, INDIFERENCIA, RECHAZO
from .sentiment import Sentiment

POLAR = 0.2  # |score| below this is neutral
INDIFFERENT = 0.5  # an indifference cue wins while |score| stays below this
STRONG = 0.9  # |score| at which intensity alone reaches rechazo...
STRONG_POSITIVE = 0.95  # ...and éxtasis (praise piles up more readily than anger: "rápido, amable, buen precio")
CONCEDED = 0.75  # a cue in a clause weighed below this (before "pero", after "aunque") does not count
CUE_FLOOR = 0.35  # an explicit cue decides rechazo / éxtasis only beyond this |score|


def emotion(s: Sentiment) -> str:
    score = s.score
    counted = [c for c in s.cues if s.clauses[c.clause].weight >= CONCEDED]
    if abs(score) < INDIFFERENT and any(c.tag == "I" for c in counted):
        return INDIFERENCIA
    if score <= -POLAR:
        hate = any(c.tag == "R" and c.valence < 0 for c in counted)
        return RECHAZO if score <= -STRONG or (score <= -CUE_FLOOR and hate) else DECADENCIA
    if score >= POLAR:
        love = any(c.tag == "X" and c.valence > 0 and s.weighted(c.clause) > 0 for c in counted)
        return EXTASIS if score >= STRONG_POSITIVE or (score >= CUE_FLOOR and love) else DISFRUTABLE
    return INDIFERENCIA
