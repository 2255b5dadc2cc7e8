"""Comment analysis, measured: `python -m bench.comment_accuracy [--set PATH ...]`.

For each labelled set (default: every bench/comments/*.jsonl), per gold language: language-id and
polarity accuracy, emotion macro-F1 and confusion matrix, cause micro-F1 and per-cause precision
and recall, each beside its target; then comments analysed per second on one core. `measure()`
returns the same figures as data for `make bench` or anything else that wants them.

No tuning happens here: the analyzer is built once and run over the sets as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from services.scoring.domain.comments import DEFAULT_TAXONOMY, EMOTIONS, LexiconAnalyzer
from services.scoring.domain.comments.evaluation import TARGETS, evaluate, parse_labelled

SETS = Path(__file__).resolve().parent / "comments"
SPEED_SECONDS = 3.0
_ABBR = {"rechazo": "rech", "decadencia": "deca", "indiferencia": "indi", "disfrutable": "disf", "extasis": "exta"}


def default_sets() -> list[Path]:
    return sorted(SETS.glob("*.jsonl"))


def _one_core() -> None:
    """Speed is quoted for one core: pin this process to one CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        except OSError:
            pass


def speed(analyzer, texts: list[str], seconds: float = SPEED_SECONDS) -> dict:
    """Comments per second on one core: the set analysed round after round for about `seconds`
    of CPU time. The best round is the figure (as timeit does: on a shared machine the slower
    rounds measure the neighbours, not the analyzer); the mean over all rounds is given beside it."""
    for t in texts[:50]:
        analyzer.analyze(t, DEFAULT_TAXONOMY)  # warm the caches as a running service would be
    rounds: list[float] = []
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        t0 = time.process_time()
        for t in texts:
            analyzer.analyze(t, DEFAULT_TAXONOMY)
        rounds.append(time.process_time() - t0)
        done += len(texts)
    cpu = sum(rounds)
    chars = sum(len(t) for t in texts) / max(1, len(texts))
    return {
        "comments": done,
        "rounds": len(rounds),
        "cpu_seconds": round(cpu, 3),
        "per_second": round(len(texts) / max(min(rounds), 1e-9)),
        "per_second_mean": round(done / cpu),
        "mean_chars": round(chars),
    }


def measure(paths: list[Path] | None = None, *, timing: bool = True) -> dict:
    """The figures for each labelled set, as data: {path: {"report": {...}, "speed": {...}}}."""
    analyzer = LexiconAnalyzer()
    out = {}
    for path in paths or default_sets():
        path = Path(path)
        items = parse_labelled(path.read_text("utf-8").splitlines(), str(path))
        analyses = [analyzer.analyze(i.text, DEFAULT_TAXONOMY) for i in items]
        entry = {
            "n": len(items),
            "report": evaluate(items, analyses),
            "analyzer": analyzer.label,
            "errors": [_error(i, a) for i, a in zip(items, analyses) if _wrong(i, a)],
        }
        if timing and items:
            entry["speed"] = speed(analyzer, [i.text for i in items])
        out[str(path)] = entry
    return out


def _wrong(item, a) -> bool:
    got = a.to_dict() if a else {}
    return (
        got.get("language") != item.language
        or got.get("emotion") != item.emotion
        or {c["key"] for c in got.get("causes", [])} != item.cause_keys
    )


def _error(item, a) -> dict:
    got = a.to_dict() if a else None
    return {
        "id": item.id,
        "text": item.text,
        "gold": {"language": item.language, "emotion": item.emotion, "causes": sorted(item.cause_keys)},
        "got": got,
    }


def _fmt(value) -> str:
    return "  n/a" if value is None else f"{value:5.3f}"


def _mark(name: str, value) -> str:
    target = TARGETS.get(name)
    if target is None or value is None:
        return ""
    return f"  (target ≥ {target:.2f} {'ok' if value >= target else 'BELOW'})"


def render(path: str, entry: dict, show_errors: bool = False) -> str:
    lines = [f"== {path}  ({entry['n']} comments, {entry['analyzer']})"]
    for lang, fig in entry["report"].items():
        lines.append(f"-- {lang}: {fig['n']} comments")
        for name, label in (
            ("language_accuracy", "language-id accuracy"),
            ("polarity_accuracy", "polarity accuracy"),
            ("emotion_macro_f1", "emotion macro-F1"),
            ("emotion_accuracy", "emotion accuracy"),
            ("cause_micro_f1", "cause micro-F1"),
            ("cause_precision", "cause precision"),
            ("cause_recall", "cause recall"),
            ("cause_polarity_accuracy", "cause polarity acc."),
        ):
            lines.append(f"   {label:<22} {_fmt(fig[name])}{_mark(name, fig[name])}")
        lines.append("   emotion confusion (rows gold, columns predicted):")
        lines.append("          " + " ".join(f"{_ABBR[e]:>5}" for e in EMOTIONS))
        for g in EMOTIONS:
            lines.append(f"     {_ABBR[g]:<5}" + " ".join(f"{fig['emotion_confusion'][g][p]:>5}" for p in EMOTIONS))
        if fig["per_cause"]:
            lines.append(f"   {'cause':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'gold':>5} {'pred':>5}")
            for key, c in fig["per_cause"].items():
                lines.append(
                    f"   {key:<18} {_fmt(c['precision']):>6} {_fmt(c['recall']):>6} {_fmt(c['f1']):>6} "
                    f"{c['support']:>5} {c['predicted']:>5}"
                )
    if "speed" in entry:
        s = entry["speed"]
        lines.append(
            f"-- speed: {s['per_second']:,} comments/s on one core (target ≥ 5,000; best of {s['rounds']} "
            f"rounds, mean {s['per_second_mean']:,}/s; {s['comments']:,} analyses in {s['cpu_seconds']} s "
            f"CPU; comments of {s['mean_chars']} characters on average)"
        )
    if show_errors:
        lines.append(f"-- disagreements ({len(entry['errors'])}):")
        for e in entry["errors"]:
            got = e["got"] or {}
            lines.append(f"   {e['id']}: {e['text']}")
            lines.append(f"      gold {e['gold']['language']} {e['gold']['emotion']} {e['gold']['causes']}")
            lines.append(
                f"      got  {got.get('language')} {got.get('emotion')} {got.get('sentiment')} "
                f"{[(c['key'], c['evidence'], c['polarity']) for c in got.get('causes', [])]}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.comment_accuracy", description=__doc__.splitlines()[0])
    p.add_argument(
        "--set",
        action="append",
        type=Path,
        dest="sets",
        help="a labelled JSONL set (repeatable; default: every bench/comments/*.jsonl)",
    )
    p.add_argument("--errors", action="store_true", help="list the comments where the analyzer disagrees")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = p.parse_args(argv)
    paths = args.sets or default_sets()
    if not paths:
        print(f"no labelled sets in {SETS}", file=sys.stderr)
        return 1
    missing = [str(x) for x in paths if not Path(x).is_file()]
    if missing:
        print(f"no such set: {', '.join(missing)}", file=sys.stderr)
        return 1
    _one_core()
    result = measure(paths, timing=not args.no_speed)
    if args.json:
        print(
            json.dumps(
                result
                if args.errors
                else {k: {kk: vv for kk, vv in v.items() if kk != "errors"} for k, v in result.items()},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        print("\n\n".join(render(path, entry, args.errors) for path, entry in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
