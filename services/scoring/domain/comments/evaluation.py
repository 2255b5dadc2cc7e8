"""Accuracy of an analyzer against labelled comments (docs/comment-analysis.md, LABELS guide):
language-id and polarity accuracy, emotion macro-F1 and confusion matrix, cause micro-F1 with
per-cause precision and recall. Pure: it reads labelled lines given to it and analyses given to it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .analysis import EMOTIONS, POLARITIES, CommentAnalysis

TARGETS = {"language_accuracy": 0.97, "polarity_accuracy": 0.85, "emotion_macro_f1": 0.70, "cause_micro_f1": 0.80}
OTHER = "other"  # gold languages beyond es/en are reported together


class LabelError(ValueError):
    pass


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    language: str
    polarity: str
    emotion: str
    causes: tuple[tuple[str, str], ...]  # (key, polarity)
    difficulty: str = "plain"

    @property
    def cause_keys(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.causes)


def parse_labelled(lines: Iterable[str], source: str = "labelled set") -> list[Labelled]:
    """One JSON object a line, as the labelling guide says; blank lines are skipped."""
    out, seen = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            row = json.loads(line)
            causes = tuple((c["key"], c.get("polarity", "neutral")) for c in row.get("causes") or ())
            item = Labelled(
                str(row["id"]),
                row["text"],
                row["language"],
                row["polarity"],
                row["emotion"],
                causes,
                row.get("difficulty", "plain"),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise LabelError(f"{where}: not a labelled comment ({e})") from None
        if item.emotion not in EMOTIONS or item.polarity not in POLARITIES:
            raise LabelError(f"{where}: unknown emotion or polarity")
        if item.id in seen:
            raise LabelError(f"{where}: id {item.id!r} appears twice")
        seen.add(item.id)
        out.append(item)
    return out


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def macro_f1(gold: list[str], predicted: list[str], labels: Iterable[str] = EMOTIONS) -> float | None:
    """Mean F1 over the labels that occur in gold or prediction (as scikit-learn does)."""
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return round(sum(scores) / len(scores), 4) if scores else None


def confusion(gold: list[str], predicted: list[str], labels: Iterable[str] = EMOTIONS) -> dict[str, dict[str, int]]:
    counts = Counter(zip(gold, predicted))
    return {g: {p: counts[(g, p)] for p in labels} for g in labels}


def cause_scores(gold: list[frozenset[str]], predicted: list[frozenset[str]]) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted):
        for key in g & p:
            tp[key] += 1
        for key in p - g:
            fp[key] += 1
        for key in g - p:
            fn[key] += 1
    keys = sorted(set(tp) | set(fp) | set(fn))
    per = {}
    for key in keys:
        precision, recall = _ratio(tp[key], tp[key] + fp[key]), _ratio(tp[key], tp[key] + fn[key])
        per[key] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": tp[key] + fn[key],
            "predicted": tp[key] + fp[key],
        }
    TP, FP, FN = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision, recall = _ratio(TP, TP + FP), _ratio(TP, TP + FN)
    return {
        "micro_f1": _f1(precision, recall) if TP + FP + FN else None,
        "precision": precision,
        "recall": recall,
        "per_cause": per,
    }


def score_group(items: list[Labelled], analyses: list[CommentAnalysis | None]) -> dict:
    """The figures for one group of labelled comments and their analyses (None counts as a miss:
    language "und", polarity neutral, emotion indiferencia, no cause)."""
    n = len(items)
    lang = [a.language if a else "und" for a in analyses]
    pol = [a.polarity if a else "neutral" for a in analyses]
    emo = [a.emotion if a else "indiferencia" for a in analyses]
    pred_causes = [frozenset(c.key for c in a.causes) if a else frozenset() for a in analyses]
    causes = cause_scores([i.cause_keys for i in items], pred_causes)
    matched = right = 0
    for item, a in zip(items, analyses):
        found = {c.key: c.polarity for c in a.causes} if a else {}
        for key, polarity in item.causes:
            if key in found:
                matched += 1
                right += found[key] == polarity
    return {
        "n": n,
        "language_accuracy": _ratio(sum(g.language == p for g, p in zip(items, lang)), n),
        "polarity_accuracy": _ratio(sum(g.polarity == p for g, p in zip(items, pol)), n),
        "emotion_accuracy": _ratio(sum(g.emotion == p for g, p in zip(items, emo)), n),
        "emotion_macro_f1": macro_f1([i.emotion for i in items], emo),
        "emotion_confusion": confusion([i.emotion for i in items], emo),
        "cause_micro_f1": causes["micro_f1"],
        "cause_precision": causes["precision"],
        "cause_recall": causes["recall"],
        "per_cause": causes["per_cause"],
        "cause_polarity_accuracy": _ratio(right, matched),
    }


def evaluate(items: list[Labelled], analyses: list[CommentAnalysis | None]) -> dict[str, dict]:
    """Figures per gold language ("es", "en", OTHER for the rest) and for all together."""
    if len(items) != len(analyses):
        raise ValueError("one analysis per labelled comment")
    groups: Mapping[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        groups[item.language if item.language in ("es", "en") else OTHER].append(k)
    report = {}
    for name in ("es", "en", OTHER):
        if groups.get(name):
            idx = groups[name]
            report[name] = score_group([items[k] for k in idx], [analyses[k] for k in idx])
    report["all"] = score_group(items, analyses)
    return report


def meets_targets(figures: Mapping[str, object]) -> dict[str, bool | None]:
    return {k: (None if figures.get(k) is None else figures[k] >= v) for k, v in TARGETS.items()}
