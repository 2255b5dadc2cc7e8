"""Drive a running Lazo with a simulated customer base, through its real HTTP and Kafka paths.

Steps (each printed): make sure the programme exists and holds out a control group; post the
population's monthly surveys to ingest; wait for the cases casework opens from the alerts;
work most of them as a contact center would (first contact with the cause, analysis, the
company's response, the customer's confirmation by the agent or by a follow-up survey); post
every customer's renewal outcome; then print the experiment and the KPIs it produced.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from demo import population
from demo.population import Customer

BATCH = 500
Say = Callable[[str], None]


class DemoError(RuntimeError):
    """Something the person running the demo can fix (the system is not up, a key is missing)."""


@dataclass
class Config:
    urls: dict[str, str]  # service -> base URL
    keys: dict[str, str]  # role -> API key ("admin" alone is enough)
    program: str = "default"
    customers: int = 800
    months: int = 6
    control_share: float = 0.25
    work_share: float = 0.85  # share of the (non-control) cases the contact center works
    pace: float = 1.0  # seconds between waves of casework, so first contact comes before the close
    seed: int | None = None
    timeout: float = 90.0  # how long to wait for the pipeline at each step
    concurrency: int = 16


@dataclass
class Report:
    customers: int = 0
    responses: int = 0
    selected: int = 0
    cases: dict[str, int] = field(default_factory=dict)  # status -> count, after the work
    worked: int = 0
    outcomes: int = 0
    renewed: int = 0
    experiment: dict[str, Any] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    surveys: dict[str, Any] = field(default_factory=dict)  # the planner's figures for the programme


class Lazo:
    """One HTTP client per service and role, each with its key."""

    def __init__(self, config: Config):
        self._config = config
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}

    def __call__(self, service: str, role: str) -> httpx.AsyncClient:
        key = self._config.keys.get(role) or self._config.keys.get("admin")
        if not key:
            raise DemoError(f"no API key for role '{role}' (nor an admin key)")
        if (service, role) not in self._clients:
            self._clients[(service, role)] = httpx.AsyncClient(
                base_url=self._config.urls[service], headers={"Authorization": f"Bearer {key}"}, timeout=30
            )
        return self._clients[(service, role)]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def _ok(r: httpx.Response, what: str) -> dict:
    if r.status_code >= 300:
        raise DemoError(f"{what}: HTTP {r.status_code}: {r.text[:500]}")
    return r.json()


async def _until(check: Callable[[], Awaitable[Any]], timeout: float, interval: float = 0.5) -> Any:
    """Ask again until `check` answers something truthy, or give up (None) at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(interval)


def _chunks(items: list, size: int) -> Iterable[list]:
    return (items[i : i + size] for i in range(0, len(items), size))


async def simulate(config: Config, say: Say = print) -> Report:
    rng = random.Random(config.seed)
    tag = uuid.uuid4().hex[:6]  # fresh customer ids every run: a repeated id would be a duplicate downstream
    lazo = Lazo(config)
    report = Report()
    started = time.monotonic()
    shout = say
    say = lambda line: shout(f"{time.monotonic() - started:5.1f}s  {line}")  # noqa: E731 (when each step ended)
    try:
        await _check_up(config, say)
        rules = await _prepare_programme(lazo, config, say)
        now = datetime.now(UTC)
        people = population.generate(rng, customers=config.customers, months=config.months, now=now, tag=tag)
        report.customers = len(people)
        report.responses = await _post_surveys(lazo, config, people, say)
        if "surveys" in config.urls:
            await _plan_surveys(lazo, config, people, say)
        expected = {c.id for c in people if population.selected(c, rules["threshold"], rules["comment_selects"])}
        report.selected = len(expected)
        cases = await _wait_for_cases(lazo, config, f"demo-{tag}-", expected, say)
        by_customer = {c.id: c for c in people}
        worked = await _work(lazo, config, rng, cases, by_customer, say)
        report.worked = len(worked)
        before = await _read_experiment(lazo, config)
        report.outcomes, report.renewed = await _post_outcomes(lazo, config, rng, people, worked, now, say)
        report.experiment = await _experiment(lazo, config, before, cases, worked, say)
        report.cases = await _statuses(lazo, config, f"demo-{tag}-")
        report.kpis = _ok(
            await lazo("casework", "manager").get("/v1/kpis", params={"program": config.program}), "case KPIs"
        )
        if "surveys" in config.urls:
            report.surveys = await _planner_round(lazo, config, say)
        await _summary(lazo, config, report, say)
        say(f"done in {time.monotonic() - started:.0f}s")
        return report
    finally:
        await lazo.close()


async def _plan_surveys(lazo: Lazo, config: Config, people: list[Customer], say: Say) -> None:
    """The customers become the planner's contacts and the programme gets a monthly plan (kept if it
    has one): from here on the planner invites them, and sends the follow-up of every case an agent
    answers (the worked cases below), which the customers' follow-up answers then close."""
    planner = lazo("surveys", "manager")
    contacts = [{"customer_id": c.id, "email": c.email, "name": c.name, "locale": "es"} for c in people]
    for batch in _chunks(contacts, 1000):
        _ok(await planner.post("/v1/contacts:batch", json={"contacts": batch}), "loading contacts")
    r = await planner.get(f"/v1/programs/{config.program}/survey-plan")
    if r.status_code == 404:
        _ok(
            await planner.put(
                f"/v1/programs/{config.program}/survey-plan",
                json={
                    "link_template": "https://forms.example.com/iec?t={token}&case={case_id}",
                    "channel": "event_only",
                    # All day: the demo shows invitations and follow-ups going out while it runs,
                    # whatever the hour (a company's plan keeps its customers' waking hours).
                    "window_start": "00:00",
                    "window_end": "23:59",
                    "reminder_after_days": 3,
                    "expire_after_days": 14,
                },
            ),
            "setting the survey plan",
        )
    say(f"planner: {len(contacts)} contacts loaded; programme '{config.program}' surveyed monthly")


async def _planner_round(lazo: Lazo, config: Config, say: Say) -> dict:
    """Run planner rounds until the follow-ups of the cases answered by the company are out, or a
    short deadline passes: the planner learns of those cases from lazo.cases.v1, a moment after
    casework moved them, and a round already under way (409) runs without us."""
    planner = lazo("surveys", "manager")
    deadline = time.monotonic() + min(config.timeout, 30)
    while True:
        r = await planner.post("/v1/planner/runs")
        kpis = _ok(await planner.get("/v1/surveys/kpis", params={"program": config.program}), "survey KPIs")
        follow = kpis["follow_ups"]
        if (r.status_code != 409 and follow["due"] > 0) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    say(
        f"planner: {kpis['planned']} invitations planned for this month, {kpis['due']} out, "
        f"{kpis['suppressed']} held back {kpis['suppressed_by_reason'] or ''}; follow-ups of answered cases: "
        f"{follow['due']} sent, {follow['responded']} answered"
    )
    return kpis


async def _check_up(config: Config, say: Say) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for service, url in config.urls.items():
            try:
                r = await http.get(f"{url}/readyz")
            except httpx.HTTPError:
                raise DemoError(f"{service} does not answer at {url}: start Lazo first (make run)") from None
            if r.status_code != 200:
                raise DemoError(f"{service} at {url} is not ready yet: {r.text[:300]}")
    say("Lazo is up: " + ", ".join(f"{s} {u}" for s, u in config.urls.items()))


async def _prepare_programme(lazo: Lazo, config: Config, say: Say) -> dict:
    """The programme exists (created with the three IEC questions if new) and holds out a control group."""
    p = config.program
    r = await lazo("scoring", "manager").get(f"/v1/programs/{p}")
    if r.status_code == 404:
        questions = [{"key": k} for k in ("experience", "worth", "recommend")]
        _ok(
            await lazo("scoring", "admin").put(f"/v1/programs/{p}", json={"questions": questions}),
            f"creating programme {p}",
        )
        say(f"created programme '{p}' (experience, worth, recommend on 1–10, equal weights)")
    else:
        _ok(r, f"reading programme {p}")
    rules = _ok(await lazo("alerts", "manager").get(f"/v1/programs/{p}/alert-rules"), "reading alert rules")
    wanted = {k: rules[k] for k in ("threshold", "comment_selects", "drop_points", "cooldown_days")}
    wanted["control_share"] = config.control_share
    rules = _ok(
        await lazo("alerts", "manager").put(f"/v1/programs/{p}/alert-rules", json=wanted), "setting the control share"
    )
    say(
        f"programme '{p}': alerts at IEC ≤ {rules['threshold']:g}"
        f"{' or any comment' if rules['comment_selects'] else ''}; {100 * config.control_share:.0f}% of selected "
        f"customers held out as the control group"
    )
    return rules


def _response(c: Customer, s: population.Survey, program: str, case_id: str | None = None) -> dict:
    return {
        "response_id": s.response_id,
        "program": program,
        "customer": {"id": c.id, "email": c.email, "name": c.name, "attributes": {"annual_value": c.value}},
        "submitted_at": s.submitted_at.isoformat(),
        "touchpoint": s.touchpoint,
        "answers": s.answers,
        "comment": s.comment,
        "case_id": case_id,
    }


async def _post_batch(client: httpx.AsyncClient, path: str, key: str, items: list[dict], timeout: float) -> dict:
    """Post one batch; while the programme is still unknown to ingest (it learns it from the broker), retry."""

    async def attempt():
        r = await client.post(path, json={key: items})
        if r.status_code == 503 or (r.status_code == 422 and "unknown programme" in r.text):
            return None
        return _ok(r, f"POST {path}")

    result = await _until(attempt, timeout)
    if result is None:
        raise DemoError(f"POST {path} kept failing for {timeout:.0f}s (is the programme known to ingest?)")
    return result


async def _post_surveys(lazo: Lazo, config: Config, people: list[Customer], say: Say) -> int:
    bodies = sorted(((c, s) for c in people for s in c.surveys), key=lambda cs: cs[1].submitted_at)
    accepted = 0
    for chunk in _chunks(bodies, BATCH):
        out = await _post_batch(
            lazo("ingest", "ingest"),
            "/v1/responses:batch",
            "responses",
            [_response(c, s, config.program) for c, s in chunk],
            config.timeout,
        )
        accepted += out["accepted"]
    commented = sum(1 for c in people for s in c.surveys if s.comment)
    say(
        f"posted {accepted} monthly survey responses from {len(people)} customers over {config.months} months "
        f"({commented} with a comment), across {len(population.TOUCHPOINTS)} touchpoints"
    )
    return accepted


async def _cases(lazo: Lazo, config: Config, prefix: str, statuses: Iterable[str]) -> dict[str, dict]:
    """This run's cases (customer id -> case) in the given statuses."""
    found: dict[str, dict] = {}
    client = lazo("casework", "agent")
    for status in statuses:
        offset = 0
        while True:
            page = _ok(
                await client.get(
                    "/v1/cases", params={"program": config.program, "status": status, "limit": 500, "offset": offset}
                ),
                "listing cases",
            )
            found.update({c["customer_id"]: c for c in page["items"] if c["customer_id"].startswith(prefix)})
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
    return found


async def _wait_for_cases(lazo: Lazo, config: Config, prefix: str, expected: set[str], say: Say) -> dict[str, dict]:
    say(f"{len(expected)} customers should be selected (low IEC or a comment); waiting for their cases…")
    latest: dict[str, dict] = {}

    async def complete():
        nonlocal latest
        latest = await _cases(lazo, config, prefix, ("open", "control"))
        return len(latest) >= len(expected)

    if not await _until(complete, config.timeout, interval=1.0):
        say(f"only {len(latest)} of {len(expected)} cases arrived within {config.timeout:.0f}s; going on with those")
    control = sum(1 for c in latest.values() if c["status"] == "control")
    say(f"casework opened {len(latest)} cases: {len(latest) - control} to work, {control} held out (control)")
    return latest


async def _gather(config: Config, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(config.concurrency)

    async def run(job):
        async with gate:
            return await job()

    return await asyncio.gather(*(run(j) for j in jobs))


async def _work(
    lazo: Lazo, config: Config, rng: random.Random, cases: dict[str, dict], people: dict[str, Customer], say: Say
) -> set[str]:
    """Work the cases in waves, as a contact center gets through them; the customers reached."""
    agent = lazo("casework", "agent")

    async def move(case: dict, to: str, **body) -> bool:
        r = await agent.post(f"/v1/cases/{case['case_id']}/transitions", json={"to": to, **body})
        if r.status_code == 409:  # it moved meanwhile (a follow-up survey): nothing to do
            return False
        _ok(r, f"moving case {case['case_id']} to {to}")
        return True

    async def confirm(case: dict, solved: bool, feeling: float | None) -> None:
        body = {
            "solved": solved,
            "current_feeling": feeling,
            "note": "el cliente confirma que está resuelto" if solved else "el cliente no está satisfecho",
        }
        r = await agent.post(f"/v1/cases/{case['case_id']}/confirmation", json=body)
        if r.status_code != 409:
            _ok(r, f"confirming case {case['case_id']}")

    to_work = [c for c in cases.values() if c["status"] == "open" and rng.random() < config.work_share]
    unreachable, contacted = [], []
    for c in to_work:  # a few customers are never reached
        (unreachable if rng.random() < 0.06 else contacted).append(c)
    jobs = [lambda c=c: move(c, "unreachable", note="tres llamadas sin respuesta") for c in unreachable]
    for c in contacted:
        trouble = people[c["customer_id"]].trouble
        jobs.append(
            lambda c=c, t=trouble: move(c, "contacted", cause=t.cause, owner=t.owner, note="primera llamada al cliente")
        )
    await _gather(config, jobs)
    await asyncio.sleep(config.pace)

    analysing = [c for c in contacted if rng.random() < 0.9]
    await _gather(config, [lambda c=c: move(c, "analysing", note="análisis individual del caso") for c in analysing])
    await asyncio.sleep(config.pace)
    responded = [c for c in analysing if rng.random() < 0.85]
    await _gather(
        config, [lambda c=c: move(c, "responded", note="respuesta de la empresa al cliente") for c in responded]
    )
    await asyncio.sleep(config.pace)

    by_survey, by_agent = [], []
    for c in responded:  # some customers answer the follow-up survey, the others tell the agent
        (by_survey if rng.random() < 0.35 else by_agent).append(c)
    jobs = []
    for c in by_agent:
        latest = people[c["customer_id"]].latest_iec or 6
        solved = rng.random() < 0.92
        feeling = round(min(10.0, latest + rng.uniform(2, 4)), 1) if solved else None
        jobs.append(lambda c=c, s=solved, f=feeling: confirm(c, s, f))
    await _gather(config, jobs)
    follow_ups = []
    now = datetime.now(UTC)
    for c in by_survey:
        customer = people[c["customer_id"]]
        survey = population.Survey(
            f"{customer.id}-followup", now, "email", population.follow_up_answers(rng, customer.latest_iec), None
        )
        follow_ups.append(_response(customer, survey, config.program, case_id=c["case_id"]))
    for chunk in _chunks(follow_ups, BATCH):
        await _post_batch(lazo("ingest", "ingest"), "/v1/responses:batch", "responses", chunk, config.timeout)
    say(
        f"worked {len(to_work)} cases: {len(contacted)} reached (cause recorded), {len(unreachable)} unreachable, "
        f"{len(analysing)} analysed, {len(responded)} answered by the company; {len(by_agent)} confirmations "
        f"recorded by agents and {len(by_survey)} follow-up surveys sent; "
        f"{sum(1 for c in cases.values() if c['status'] == 'open') - len(to_work)} cases left untouched"
    )
    return {c["customer_id"] for c in contacted}


async def _post_outcomes(
    lazo: Lazo, config: Config, rng: random.Random, people: list[Customer], worked: set[str], now: datetime, say: Say
) -> tuple[int, int]:
    on = (now - timedelta(days=1)).date().isoformat()
    outcomes = []
    for c in people:
        renewed = rng.random() < population.renewal_probability(c.latest_iec, c.id in worked)
        outcome = {"customer_id": c.id, "program": config.program, "renewed": renewed, "date": on}
        if rng.random() < population.REVENUE_KNOWN:
            outcome["revenue"] = c.value if renewed else 0.0
        outcomes.append(outcome)
    accepted = 0
    for chunk in _chunks(outcomes, 1000):
        accepted += (
            await _post_batch(lazo("casework", "ingest"), "/v1/outcomes:batch", "outcomes", chunk, config.timeout)
        )["accepted"]
    renewed = sum(o["renewed"] for o in outcomes)
    say(f"posted {accepted} renewal outcomes dated {on}: {renewed} renewed, {accepted - renewed} lapsed")
    return accepted, renewed


async def _read_experiment(lazo: Lazo, config: Config) -> dict:
    return _ok(await lazo("casework", "manager").get(f"/v1/experiments/{config.program}"), "reading the experiment")


async def _experiment(
    lazo: Lazo, config: Config, before: dict, cases: dict[str, dict], worked: set[str], say: Say
) -> dict:
    """The experiment, once this run's outcomes are in (earlier runs' customers count too)."""
    control = sum(1 for c in cases.values() if c["status"] == "control")
    wanted = {
        "treated": before["treated"]["with_outcome"] + len(worked),
        "control": before["control"]["with_outcome"] + control,
    }
    body: dict = {}

    async def arrived():
        nonlocal body
        body = await _read_experiment(lazo, config)
        return all(body[arm]["with_outcome"] >= n for arm, n in wanted.items())

    if not await _until(arrived, config.timeout):
        say("not every outcome was stored in time; the figures below may be partial")
    return body


async def _statuses(lazo: Lazo, config: Config, prefix: str) -> dict[str, int]:
    statuses = ("open", "contacted", "analysing", "responded", "closed", "unreachable", "control")
    mine = await _cases(lazo, config, prefix, statuses)
    counts: dict[str, int] = {}
    for case in mine.values():
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    return counts


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}%"


def _hours(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 3600:.1f} s" if x < 1 / 60 else f"{x * 60:.1f} min" if x < 1 else f"{x:.1f} h"


async def _summary(lazo: Lazo, config: Config, report: Report, say: Say) -> None:
    e, k = report.experiment, report.kpis
    say("─" * 72)
    say(await _iec_line(lazo, config))
    if e:
        t, c, d = e["treated"], e["control"], e["difference"]
        say(
            f"renewal, treated: {_pct(t['renewal_rate'])} ({t['renewed']}/{t['with_outcome']}); "
            f"control: {_pct(c['renewal_rate'])} ({c['renewed']}/{c['with_outcome']}); "
            f"never selected: {_pct(e['others']['renewal_rate'])}"
        )
        if d["revenue_lift_percent"] is not None:
            say(
                f"revenue per customer: treated {t['revenue']['per_customer']:.0f}, control "
                f"{c['revenue']['per_customer']:.0f} ({d['revenue_lift_percent']:+.1f}%)"
            )
        say(f"verdict: {e['verdict']}")
    fc, close = k["time_to_first_contact_hours"], k["time_to_close_hours"]
    say(
        f"cases: {k['cases']} worked + {k['control_cases']} control; first contact p50 {_hours(fc['p50'])}, "
        f"p90 {_hours(fc['p90'])}; close p50 {_hours(close['p50'])}, p90 {_hours(close['p90'])}"
    )
    sla = k["sla"]
    say(
        f"confirmed: {k['confirmed']['closed']} ({_pct(_x100(k['confirmed']['share']))}); SLA first contact "
        f"{_pct(_x100(sla['first_contact']['compliance']))}, close {_pct(_x100(sla['close']['compliance']))}; "
        f"backlog {k['backlog']['total']}"
    )
    say("top causes: " + "; ".join(f"{c['cause']} ({c['cases']})" for c in k["top_causes"][:5]))
    say("─" * 72)
    casework = config.urls["casework"]
    say(
        f"see for yourself: {casework}/v1/experiments/{config.program}  ·  {casework}/v1/kpis?program="
        f"{config.program}  ·  {config.urls['scoring']}/v1/kpis?program={config.program}  (with the API key)"
    )


async def _iec_line(lazo: Lazo, config: Config) -> str:
    """The programme's IEC from scoring; a summary line is not worth failing the demo over."""
    r = await lazo("scoring", "manager").get("/v1/kpis", params={"program": config.program})
    try:
        scores = r.json()
        line = (
            f"IEC of programme '{config.program}': {scores['iec']['mean']:.1f} over {scores['count']} responses; "
            "segments " + ", ".join(f"{s} {n}" for s, n in scores["segments"].items())
        )
        nps = (scores.get("nps") or {}).get("score")
        return line + (f"; NPS {nps:.0f}" if nps is not None else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"(scoring's KPIs are not available: HTTP {r.status_code})"


def _x100(x: float | None) -> float | None:
    return None if x is None else 100 * x
