"""What an analysis of one comment is, and the one interface an analyzer implements. No I/O.

The JSON of `CommentAnalysis.to_dict()` is the contract's `comment_analysis` object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .taxonomy import Taxonomy

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
POLARITIES = (NEGATIVE, NEUTRAL, POSITIVE)
RECHAZO, DECADENCIA, INDIFERENCIA, DISFRUTABLE, EXTASIS = (
    "rechazo",
    "decadencia",
    "indiferencia",
    "disfrutable",
    "extasis",
)
EMOTIONS = (RECHAZO, DECADENCIA, INDIFERENCIA, DISFRUTABLE, EXTASIS)
# The seed's five states and their effect on loyalty; polarity follows the emotion.
POLARITY_OF = {RECHAZO: NEGATIVE, DECADENCIA: NEGATIVE, INDIFERENCIA: NEUTRAL, DISFRUTABLE: POSITIVE, EXTASIS: POSITIVE}
MAX_CAUSES = 20
MAX_KEYPHRASES = 5
MAX_EVIDENCE_CHARS = 120
MAX_KEYPHRASE_CHARS = 60
MAX_ANALYZER_CHARS = 100


class InvalidAnalysis(ValueError):
    """An analysis that breaks the contract (e.g. from a plugged-in analyzer)."""


@dataclass(frozen=True, slots=True)
class CauseMention:
    key: str
    evidence: str  # the words that matched, verbatim from the comment
    polarity: str

    def __post_init__(self):
        if not isinstance(self.key, str) or not self.key:
            raise InvalidAnalysis("cause key must be a non-empty string")
        if not isinstance(self.evidence, str) or len(self.evidence) > MAX_EVIDENCE_CHARS:
            raise InvalidAnalysis(f"evidence must be a string of at most {MAX_EVIDENCE_CHARS} characters")
        if self.polarity not in POLARITIES:
            raise InvalidAnalysis(f"cause polarity must be one of {', '.join(POLARITIES)}")

    def to_dict(self) -> dict:
        return {"key": self.key, "evidence": self.evidence, "polarity": self.polarity}


@dataclass(frozen=True, slots=True)
class CommentAnalysis:
    language: str  # ISO 639-1 ("es", "en", …) or "und"
    sentiment: float  # -1.0 … 1.0
    polarity: str
    emotion: str
    causes: tuple[CauseMention, ...]
    keyphrases: tuple[str, ...]
    analyzer: str  # "<name> <version>"

    def __post_init__(self):
        if not isinstance(self.language, str) or not (2 <= len(self.language) <= 3) or not self.language.isalpha():
            raise InvalidAnalysis("language must be an ISO 639-1 code or 'und'")
        if (
            not isinstance(self.sentiment, (int, float))
            or isinstance(self.sentiment, bool)
            or not math.isfinite(self.sentiment)
            or not -1.0 <= self.sentiment <= 1.0
        ):
            raise InvalidAnalysis("sentiment must be a number from -1.0 to 1.0")
        if self.polarity not in POLARITIES:
            raise InvalidAnalysis(f"polarity must be one of {', '.join(POLARITIES)}")
        if self.emotion not in EMOTIONS:
            raise InvalidAnalysis(f"emotion must be one of {', '.join(EMOTIONS)}")
        causes = tuple(self.causes)
        if len(causes) > MAX_CAUSES or not all(isinstance(c, CauseMention) for c in causes):
            raise InvalidAnalysis(f"causes must be at most {MAX_CAUSES} cause mentions")
        if len({c.key for c in causes}) != len(causes):
            raise InvalidAnalysis("a cause appears twice")
        phrases = tuple(self.keyphrases)
        if len(phrases) > MAX_KEYPHRASES or not all(
            isinstance(p, str) and len(p) <= MAX_KEYPHRASE_CHARS for p in phrases
        ):
            raise InvalidAnalysis(
                f"keyphrases must be at most {MAX_KEYPHRASES} strings of at most {MAX_KEYPHRASE_CHARS} characters"
            )
        if not isinstance(self.analyzer, str) or not self.analyzer or len(self.analyzer) > MAX_ANALYZER_CHARS:
            raise InvalidAnalysis("analyzer must name the analyzer and its version")
        object.__setattr__(self, "causes", causes)
        object.__setattr__(self, "keyphrases", phrases)
        object.__setattr__(self, "sentiment", float(self.sentiment))

    def to_dict(self) -> dict:
        return {
            "language": self.language,
            "sentiment": self.sentiment,
            "polarity": self.polarity,
            "emotion": self.emotion,
            "causes": [c.to_dict() for c in self.causes],
            "keyphrases": list(self.keyphrases),
            "analyzer": self.analyzer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommentAnalysis:
        """Read a stored analysis back, or one a plugged-in analyzer returned as JSON."""
        if not isinstance(data, Mapping):
            raise InvalidAnalysis("an analysis is an object")
        try:
            causes = tuple(CauseMention(c["key"], c["evidence"], c["polarity"]) for c in data.get("causes") or ())
            return cls(
                data["language"],
                data["sentiment"],
                data["polarity"],
                data["emotion"],
                causes,
                tuple(data.get("keyphrases") or ()),
                data["analyzer"],
            )
        except (KeyError, TypeError) as e:
            raise InvalidAnalysis(f"missing or malformed field: {e}") from None


@runtime_checkable
class CommentAnalyzer(Protocol):
    """Analyses one comment against a programme's taxonomy. Returns None for a comment that is
    empty or blank. Must be pure and bounded: no state shared between comments that changes the
    result, and a time and output size that do not grow without bound with the comment."""

    @property
    def label(self) -> str:
        """ "<name> <version>", stored with every analysis it makes."""
        ...

    def analyze(self, text: str, taxonomy: Taxonomy) -> CommentAnalysis | None: ...
