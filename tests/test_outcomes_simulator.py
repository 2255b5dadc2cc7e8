"""The demo simulator, small, against the test system: it must leave an experiment with both groups."""

from __future__ import annotations

from shared.settings import SERVICES
from demo.simulator import Config, simulate
from tests.harness import KEYS


async def test_the_simulator_fills_the_experiment_and_the_kpis(system, uid):
    program = f"sim-{uid}"
    lines: list[str] = []
    config = Config(
        urls={s: system.url(s) for s in SERVICES},
        keys=dict(KEYS),
        program=program,
        customers=40,
        months=2,
        control_share=0.5,
        work_share=1.0,
        pace=0,
        seed=7,
        timeout=90,
    )
    report = await simulate(config, say=lines.append)
    assert report.customers == 40 and report.responses > 0 and report.outcomes == 40
    treated, control = report.experiment["treated"], report.experiment["control"]
    assert treated["with_outcome"] > 0 and control["with_outcome"] > 0, lines
    assert treated["with_outcome"] == report.worked and control["customers"] == report.cases["control"]
    assert report.kpis["cases"] > 0 and report.kpis["top_causes"], report.kpis
    assert any("verdict: " in line for line in lines), lines
    # The planner took the customers, planned their month, and sent follow-ups of answered cases.
    assert any("planner: 40 contacts loaded" in line for line in lines), lines
    assert report.surveys["planned"] + report.surveys["due"] + report.surveys["suppressed"] > 0, report.surveys
    assert report.surveys["follow_ups"]["due"] > 0, report.surveys

    async with system.client("casework", "manager") as manager:  # the same figures over HTTP
        assert (await manager.get(f"/v1/experiments/{program}")).json()["control"] == control
