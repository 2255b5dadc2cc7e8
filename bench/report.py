"""The benchmark's report: a table on the terminal, JSON in bench/results/latest.json."""

from __future__ import annotations

from pathlib import Path

import orjson

RESULTS = Path(__file__).parent / "results"

# The figures Lazo aims for on this kind of machine (issue 2).
TARGETS = {
    "batch_per_second": 10_000,
    "single_vs_bare": 0.40,
    "score_p99_ms": 250,
    "webhook_vs_single": 0.5,
    "drain_per_second": 4_000,
    "cases_per_second": 2_000,
}
# p99 from each request's intended send time to the event, at the paced rate (issue 11).
P99_TARGETS_MS = {"score": 250, "alert": 300, "case": 400}


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _verdict(ok: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: ""}[ok]


Row = tuple[str, str, str, str, str]  # measure, result, compared with, target, verdict


def _single(single: dict, bare: dict | None) -> Row:
    ratio = single["per_second"] / bare["per_second"] if bare and bare["per_second"] else None
    return (
        "ingest  POST /v1/responses",
        f"{_n(single['per_second'])} responses/s ({single['connections']} conn.)",
        f"{ratio:.0%} of the bare route" if ratio is not None else "(no ceiling measured)",
        f"≥ {TARGETS['single_vs_bare']:.0%} of bare",
        _verdict(ratio >= TARGETS["single_vs_bare"] if ratio is not None else None),
    )


def _webhook(webhook: dict, single: dict | None) -> Row:
    """Typeform's signed webhook next to the canonical POST: same responses, same client, same moment."""
    ratio = webhook.get("vs_single")
    compared = (
        f"×{ratio:.2f} of POST /v1/responses ({_n(single['per_second'])}/s)"
        if ratio is not None and single
        else "(no canonical figure measured)"
    )
    return (
        "ingest  Typeform webhook",
        f"{_n(webhook['per_second'])} responses/s ({webhook['connections']} conn.)",
        compared,
        f"≥ ×{TARGETS['webhook_vs_single']} of the POST",
        _verdict(ratio >= TARGETS["webhook_vs_single"] if ratio is not None else None),
    )


def _batch(batch: dict, raw: dict | None) -> Row:
    ceiling = raw["produce_consume_per_second"] if raw else None
    return (
        "ingest  POST /v1/responses:batch",
        f"{_n(batch['per_second'])} responses/s ({batch['batch_size']}/batch)",
        f"{batch['per_second'] / ceiling:.0%} of raw aiokafka" if ceiling else "(no ceiling measured)",
        f"≥ {_n(TARGETS['batch_per_second'])}/s",
        _verdict(batch["per_second"] >= TARGETS["batch_per_second"]),
    )


def _latency(latency: dict) -> list[Row]:
    pace = (
        f"paced {latency['rate_achieved']:,.0f}/s for {latency['seconds']:g} s, "
        f"from {latency.get('from', 'the answer')}"
    )
    out = []
    for name, m in latency["milestones"].items():
        seen = f"{pace}; {m['seen']:,}/{m['expected']:,} seen, {m.get('doubled', 0):,} twice"
        if not m["seen"]:
            figure = m["note"]
        else:
            figure = f"p50 {m['p50_ms']:.0f} · p95 {m['p95_ms']:.0f} · p99 {m['p99_ms']:.0f} ms"
        target, ok = "", None
        if name in P99_TARGETS_MS:  # events that never came count against the target too
            target = f"p99 ≤ {P99_TARGETS_MS[name]} ms"
            ok = bool(m["seen"]) and not m["missing"] and not m.get("doubled") and m["p99_ms"] <= P99_TARGETS_MS[name]
        out.append((f"POST → {m['event']}", figure, seen, target, _verdict(ok)))
    for hop in latency.get("hops", []):
        if "p50_ms" in hop:
            out.append(
                (
                    f"  hop  {hop['hop']}",
                    f"p50 {hop['p50_ms']:.0f} · p99 {hop['p99_ms']:.0f} ms",
                    f"over {hop['responses']:,} responses that reached a case",
                    "",
                    "",
                )
            )
    return out


def _scale(scale: dict) -> list[Row]:
    one, two = scale["one"], scale["two"]
    shares = " / ".join(f"{s:.0%}" for s in two["shares"])
    ratio = f"×{scale['ratio']:.2f} of one replica" if scale["ratio"] is not None else "(one replica scored nothing)"

    def cpu(r: dict) -> str:
        return f"using {r['cores_used']:.1f} cores, machine {r['machine_idle']:.0%} idle"

    return [
        (
            "scoring  1 replica, backlog",
            f"{_n(one['per_second'])} responses/s",
            f"{one['scored']:,}/{one['expected']:,} scored in {one['seconds']:.1f} s; {cpu(one)}",
            "",
            "",
        ),
        (
            "scoring  2 replicas, one group",
            f"{_n(two['per_second'])} responses/s",
            f"{ratio}; shares {shares}; {cpu(two)}",
            "",
            "",
        ),
    ]


def _soak(soak: dict) -> list[Row]:
    ticks = [t for t in soak["ticks"] if "p99_ms" in t]
    worst = max(ticks, key=lambda t: t["p99_ms"]) if ticks else None
    out = [
        (
            f"soak  {soak['seconds']:g} s at {soak['rate_asked']:g}/s",
            f"{soak['rate_achieved']:,.0f} responses/s accepted",
            f"{soak['scored']:,}/{soak['accepted']:,} scored, {soak['missing']:,} never",
            "",
            "",
        )
    ]
    if "p99_ms" in soak:
        ok = not soak["missing"] and soak["p99_ms"] <= TARGETS["score_p99_ms"]
        out.append(
            (
                "soak  POST → lazo.score.computed",
                f"p50 {soak['p50_ms']:.0f} · p95 {soak['p95_ms']:.0f} · p99 {soak['p99_ms']:.0f} ms",
                f"worst {soak['every']:g}-s p99 {worst['p99_ms']:.0f} ms at {worst['t']:.0f} s" if worst else "",
                f"p99 ≤ {TARGETS['score_p99_ms']} ms",
                _verdict(ok),
            )
        )
    return out


def _memory(memory: dict) -> list[Row]:
    return [
        (
            f"memory  {name}",
            f"{m['rss_mib']:,.0f} MiB resident (peak {m['peak_mib']:,.0f})",
            f"{m['before_mib']:,.0f} MiB before the soak" if m.get("before_mib") is not None else "",
            "",
            "",
        )
        for name, m in memory.items()
    ]


def rows(results: dict) -> list[Row]:
    bare = results.get("ceilings", {}).get("bare_route")
    raw = results.get("ceilings", {}).get("raw_kafka")
    out: list[Row] = []
    if "single" in results:
        out.append(_single(results["single"], bare))
    if "webhook" in results:
        out.append(_webhook(results["webhook"], results.get("single")))
    if "batch" in results:
        out.append(_batch(results["batch"], raw))
    if "latency" in results:
        out += _latency(results["latency"])
    if drain := results.get("drain"):
        out.append(
            (
                "pipeline  backlog scored",
                f"{_n(drain['per_second'])} responses/s",
                f"{drain['scored']:,}/{drain['expected']:,} scored in {drain['seconds']:.1f} s",
                f"≥ {_n(TARGETS['drain_per_second'])}/s",
                _verdict(drain["per_second"] >= TARGETS["drain_per_second"] and drain["scored"] == drain["expected"]),
            )
        )
    if cases := results.get("cases"):
        ok = (
            cases["per_second"] >= TARGETS["cases_per_second"]
            and cases["opened"] == cases["alerts"]
            and not cases["doubled"]
        )
        out.append(
            (
                "casework  backlog of alerts",
                f"{_n(cases['per_second'])} cases opened/s",
                f"{cases['opened']:,}/{cases['alerts']:,} opened in {cases['seconds']:.1f} s, "
                f"{cases['doubled']:,} twice ({cases['held_out']:,} control-group alerts aside)",
                f"≥ {_n(TARGETS['cases_per_second'])}/s",
                _verdict(ok),
            )
        )
    if "scale" in results:
        out += _scale(results["scale"])
    if "soak" in results:
        out += _soak(results["soak"])
    if "memory" in results:
        out += _memory(results["memory"])
    if bare:
        out.append(
            ("ceiling  bare FastAPI route", f"{_n(bare['per_second'])} requests/s", "same uvicorn, same client", "", "")
        )
    if raw:
        out.append(
            (
                "ceiling  raw aiokafka",
                f"{_n(raw['produce_consume_per_second'])} msg/s produce+consume",
                f"produce alone {_n(raw['produce_per_second'])} msg/s",
                "",
                "",
            )
        )
    return out


def render(results: dict) -> str:
    env = results["environment"]
    title = (
        f"Lazo benchmark · {env['when']} · {env['cpus']} CPUs · Python {env['python']} · "
        f"{env['database']} · {env['broker']}"
    )
    table: list[Row] = [("measure", "result", "compared with", "target", "")] + rows(results)
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    lines = [title, ""]
    for n, r in enumerate(table):
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  " + "─" * (sum(widths) + 2 * 4))
    for note in results.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def save(results: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "latest.json"
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return path
