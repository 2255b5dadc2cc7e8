"""Comment analysis: language, sentiment, emotion (the seed's five states), causes from a
programme's taxonomy with their evidence, and keyphrases. Pure domain code.

`CommentAnalyzer` is the interface; `LexiconAnalyzer` the built-in default; `analyze` a shortcut
through one shared built-in instance.
"""

from __future__ import annotations

from functools import cache

from .analysis import EMOTIONS, POLARITIES, POLARITY_OF, CauseMention, CommentAnalysis, CommentAnalyzer, InvalidAnalysis
from .builtin import LexiconAnalyzer
from .taxonomy import DEFAULT_KEYS, DEFAULT_TAXONOMY, Taxonomy, TaxonomyCause, TaxonomyError

__all__ = [
    "EMOTIONS",
    "POLARITIES",
    "POLARITY_OF",
    "CauseMention",
    "CommentAnalysis",
    "CommentAnalyzer",
    "InvalidAnalysis",
    "LexiconAnalyzer",
    "DEFAULT_KEYS",
    "DEFAULT_TAXONOMY",
    "Taxonomy",
    "TaxonomyCause",
    "TaxonomyError",
    "builtin_analyzer",
    "analyze",
]


@cache
def builtin_analyzer() -> LexiconAnalyzer:
    return LexiconAnalyzer()


def analyze(text: str, taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> CommentAnalysis | None:
    return builtin_analyzer().analyze(text, taxonomy)
