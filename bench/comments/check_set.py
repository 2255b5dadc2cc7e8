"""Validate a labelled comment set (LABELS.md format) and print its counts.

Pure standard library: `python bench/comments/check_set.py bench/comments/heldout.jsonl [more.jsonl]`.
Exits 1 when a line is invalid (bad JSON, missing or unknown field, value outside the enums,
emotion and polarity disagreeing, duplicate id or cause); prints counts per language, emotion,
cause (with cause polarity) and difficulty.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict

FIELDS = {"id", "text", "language", "polarity", "emotion", "causes", "difficulty"}
POLARITIES = ("negative", "neutral", "positive")
EMOTIONS = ("rechazo", "decadencia", "indiferencia", "disfrutable", "extasis")
EMOTION_POLARITY = {
    "rechazo": "negative",
    "decadencia": "negative",
    "indiferencia": "neutral",
    "disfrutable": "positive",
    "extasis": "positive",
}
CAUSES = (
    "billing",
    "price",
    "product_quality",
    "usability",
    "responsiveness",
    "staff_attitude",
    "staff_knowledge",
    "sales_promise",
    "digital_channels",
    "delivery",
)
DIFFICULTIES = ("plain", "hard")


def check_record(rec: object) -> list[str]:
    """The problems with one parsed record (empty when it is valid)."""
    if not isinstance(rec, dict):
        return ["not a JSON object"]
    errors = []
    missing, extra = FIELDS - rec.keys(), rec.keys() - FIELDS
    if missing:
        errors.append(f"missing fields {sorted(missing)}")
    if extra:
        errors.append(f"unknown fields {sorted(extra)}")
    for field in ("id", "text", "language"):
        if not isinstance(rec.get(field), str) or not rec.get(field, "").strip():
            errors.append(f"{field} must be a non-empty string")
    if rec.get("polarity") not in POLARITIES:
        errors.append(f"polarity {rec.get('polarity')!r} not in {POLARITIES}")
    if rec.get("emotion") not in EMOTIONS:
        errors.append(f"emotion {rec.get('emotion')!r} not in {EMOTIONS}")
    elif rec.get("polarity") != EMOTION_POLARITY[rec["emotion"]]:
        errors.append(f"emotion {rec['emotion']} disagrees with polarity {rec.get('polarity')}")
    if rec.get("difficulty") not in DIFFICULTIES:
        errors.append(f"difficulty {rec.get('difficulty')!r} not in {DIFFICULTIES}")
    causes = rec.get("causes")
    if not isinstance(causes, list):
        errors.append("causes must be a list")
        return errors
    keys = []
    for cause in causes:
        if not isinstance(cause, dict) or set(cause) != {"key", "polarity"}:
            errors.append(f"cause {cause!r} must be {{key, polarity}}")
            continue
        if cause["key"] not in CAUSES:
            errors.append(f"cause key {cause['key']!r} not in the taxonomy")
        if cause["polarity"] not in POLARITIES:
            errors.append(f"cause polarity {cause['polarity']!r} not in {POLARITIES}")
        keys.append(cause["key"])
    if len(keys) != len(set(keys)):
        errors.append("a cause appears twice")
    return errors


def load(paths: list[str]) -> tuple[list[dict], list[str]]:
    records, errors, ids = [], [], set()
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                where = f"{path}:{n}"
                if not line.strip():
                    errors.append(f"{where}: blank line")
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: invalid JSON ({exc})")
                    continue
                errors.extend(f"{where}: {e}" for e in check_record(rec))
                if isinstance(rec, dict):
                    if rec.get("id") in ids:
                        errors.append(f"{where}: duplicate id {rec.get('id')}")
                    ids.add(rec.get("id"))
                    records.append(rec)
    return records, errors


def report(records: list[dict]) -> None:
    by_lang = defaultdict(list)
    for rec in records:
        by_lang[rec.get("language")].append(rec)
    print(f"total {len(records)}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(by_lang.items())))
    for lang, recs in sorted(by_lang.items()):
        print(f"\n== {lang} ({len(recs)})")
        diff = Counter(r.get("difficulty") for r in recs)
        print("difficulty: " + ", ".join(f"{d} {diff[d]} ({diff[d] / len(recs):.0%})" for d in DIFFICULTIES))
        pol = Counter(r.get("polarity") for r in recs)
        print("polarity:   " + ", ".join(f"{p} {pol[p]}" for p in POLARITIES))
        emo = Counter(r.get("emotion") for r in recs)
        print("emotion:    " + ", ".join(f"{e} {emo[e]}" for e in EMOTIONS))
        ncauses = Counter(len(r.get("causes") or []) for r in recs)
        print("causes per comment: " + ", ".join(f"{n}: {ncauses[n]}" for n in sorted(ncauses)))
        per = {c: Counter() for c in CAUSES}
        for r in recs:
            for c in r.get("causes") or []:
                if c.get("key") in per:
                    per[c["key"]][c.get("polarity")] += 1
        print(f"{'cause':18} {'total':>5} {'neg':>4} {'neu':>4} {'pos':>4}")
        for c in CAUSES:
            p = per[c]
            print(f"{c:18} {sum(p.values()):5} {p['negative']:4} {p['neutral']:4} {p['positive']:4}")
        words = [len(r.get("text", "").split()) for r in recs]
        print(f"words per comment: min {min(words)}, max {max(words)}, mean {sum(words) / len(words):.1f}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip())
        return 2
    records, errors = load(argv)
    texts = Counter(r.get("text", "").strip().lower() for r in records)
    for text, n in texts.items():
        if n > 1:
            print(f"warning: text appears {n} times: {text!r}")
    report(records)
    for e in errors:
        print("ERROR " + e)
    print(f"\n{'INVALID' if errors else 'valid'}: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
