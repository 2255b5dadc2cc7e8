"""Comment analysis inside scoring: the analyzer the settings name, and each programme's taxonomy
as a parsed value kept across batches (the analyzer compiles a taxonomy's cues once per object).

The analyzer itself is pure domain code (domain/comments); this is its wiring."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from shared.settings import Settings
from services.scoring.domain.comments import (
    DEFAULT_TAXONOMY,
    CommentAnalysis,
    CommentAnalyzer,
    LexiconAnalyzer,
    Taxonomy,
    builtin_analyzer,
)
from services.scoring.metrics import COMMENT_ANALYSIS_FAILURES

log = logging.getLogger("lazo.scoring.analysis")

BUILTIN, OFF = "builtin", "off"
# Parsed taxonomies kept: one per programme and version in use; an old version is dropped first.
_KEPT_TAXONOMIES = 64


def load_analyzer(spec: str) -> CommentAnalyzer | None:
    """The analyzer a setting names: `builtin`, `off` (None), or `package.module:Class` /
    `package.module.Class`, instantiated without arguments. A wrong name fails at start-up."""
    spec = spec.strip()
    if spec == BUILTIN:
        return builtin_analyzer()
    if spec == OFF:
        return None
    module_name, _, class_name = spec.rpartition(":") if ":" in spec else spec.rpartition(".")
    if not module_name or not class_name:
        raise ValueError(f"LAZO_COMMENT_ANALYZER: {spec!r} is not builtin, off or package.module:Class")
    analyzer = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(analyzer, CommentAnalyzer):
        raise ValueError(f"LAZO_COMMENT_ANALYZER: {spec} has no `label` and `analyze(text, taxonomy)`")
    return analyzer


class Analysis:
    """Analyses a batch's comments, each against its programme's taxonomy."""

    def __init__(self, analyzer: CommentAnalyzer | None):
        self.analyzer = analyzer
        # Lazo's own analyzer is pure and takes ~0.2 ms a comment: it runs in the event loop. A
        # plugged-in one may block (an HTTP call): it runs in a worker thread, once per batch.
        self._inline = isinstance(analyzer, LexiconAnalyzer)
        self._taxonomies: dict[tuple[str, int], Taxonomy] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Analysis:
        return cls(load_analyzer(settings.comment_analyzer))

    @property
    def enabled(self) -> bool:
        return self.analyzer is not None

    def taxonomy(self, program: str, stored: Mapping[str, Any] | None) -> Taxonomy:
        """The programme's taxonomy from its stored definition (the default without one)."""
        if stored is None:
            return DEFAULT_TAXONOMY
        key = (program, int(stored.get("version", 1)))
        if (hit := self._taxonomies.get(key)) is None:
            if len(self._taxonomies) >= _KEPT_TAXONOMIES:
                self._taxonomies.pop(next(iter(self._taxonomies)))
            hit = self._taxonomies[key] = Taxonomy.from_dict(stored)
        return hit

    async def analyze_all(self, items: Sequence[tuple[str | None, Taxonomy]]) -> list[CommentAnalysis | None]:
        """Each (comment, taxonomy)'s analysis, None for no comment, in order."""
        if self.analyzer is None or not any(text for text, _ in items):
            return [None] * len(items)
        if self._inline:
            return [self._one(text, taxonomy) for text, taxonomy in items]
        return await asyncio.to_thread(lambda: [self._one(text, taxonomy) for text, taxonomy in items])

    def _one(self, text: str | None, taxonomy: Taxonomy) -> CommentAnalysis | None:
        if not text or not text.strip():
            return None
        try:
            result = self.analyzer.analyze(text, taxonomy)
        except Exception as exc:  # a plugged-in analyzer's failure must not stop scoring
            COMMENT_ANALYSIS_FAILURES.inc()
            log.warning(
                "comment analyzer %s failed (%s); the response is scored without analysis",
                getattr(self.analyzer, "label", "?"),
                type(exc).__name__,
            )
            return None
        if result is None or not isinstance(result, CommentAnalysis):
            if result is not None:
                COMMENT_ANALYSIS_FAILURES.inc()
            return None
        if self._inline or not result.causes:  # Lazo's own tags only active causes
            return result
        active = {c.key for c in taxonomy.active}
        if any(c.key not in active for c in result.causes):  # only the programme's active causes
            result = CommentAnalysis(
                result.language,
                result.sentiment,
                result.polarity,
                result.emotion,
                tuple(c for c in result.causes if c.key in active),
                result.keyphrases,
                result.analyzer,
            )
        return result
