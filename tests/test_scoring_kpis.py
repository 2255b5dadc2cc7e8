"""Scoring's KPIs end to end: responses posted to ingest, figures read from `/v1/kpis` and
`/v1/kpis/series`, computed by the database (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from statistics import pstdev

import httpx
import pytest

from tests.support import poll

# A programme asking CES (1–7) and CSAT (1–5) beside the IEC, with `recommend` on NPS's 0–10.
DEFINITION = {
    "questions": [
        {"key": "experience"},
        {"key": "worth"},
        {"key": "recommend", "scale": {"min": 0, "max": 10}},
        {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0},
        {"key": "csat", "scale": {"min": 1, "max": 5}, "weight": 0},
    ]
}

# id: (touchpoint, submitted_at, answers). IEC = mean of experience, worth and recommend mapped
# from 0–10 onto 1–10 (1 + 0.9 r); NPS point = recommend.
RESPONSES = {
    "r1": ("web", "2026-01-05T10:00:00Z", {"experience": 2, "worth": 2, "recommend": 0, "ces": 6, "csat": 1}),
    "r2": ("web", "2026-01-06T10:00:00Z", {"experience": 8, "worth": 8, "recommend": 10, "ces": 2, "csat": 4}),
    "r3": ("sales", "2026-01-20T10:00:00Z", {"experience": 10, "worth": 10, "recommend": 10, "ces": 1, "csat": 5}),
    "r4": ("sales", "2026-02-03T10:00:00Z", {"experience": 9, "worth": 9, "recommend": 10, "csat": 5}),
    "r5": (
        "contact_center",
        "2026-02-10T10:00:00Z",
        {"experience": 5, "worth": 6, "recommend": 5, "ces": 7, "csat": 2},
    ),
    "r6": ("contact_center", "2026-02-11T10:00:00Z", {"experience": 3, "recommend": 7, "ces": 5, "csat": 3}),
    "r7": (None, "2026-02-12T10:00:00Z", {"experience": 7, "worth": 7, "recommend": 6}),
}
IEC = {"r1": 5 / 3, "r2": 26 / 3, "r3": 10.0, "r4": 28 / 3, "r5": 5.5, "r7": 6.8}  # r6 lacks `worth`
WEB, SALES, CONTACT_CENTER = (IEC["r1"] + IEC["r2"]) / 2, (IEC["r3"] + IEC["r4"]) / 2, IEC["r5"]


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def body(rid: str, program: str, touchpoint: str | None, submitted_at: str, answers: dict) -> dict:
    return {
        "response_id": rid,
        "program": program,
        "customer": {"id": f"C-{rid}"},
        "touchpoint": touchpoint,
        "submitted_at": submitted_at,
        "answers": answers,
    }


async def _accepted(client: httpx.AsyncClient, payload: dict) -> bool:
    r = await client.post("/v1/responses", json=payload)
    assert r.status_code in (202, 422), r.text  # 422 until ingest has learnt the programme
    return r.status_code == 202


async def _scored(client: httpx.AsyncClient, program: str, expected: int) -> dict | None:
    k = (await client.get("/v1/kpis", params={"program": program})).json()
    return k if k["count"] + k["not_scored"] == expected else None


@pytest.fixture(scope="module")
async def program(system) -> str:
    """A fresh programme holding RESPONSES, all scored (read only by the tests that share it)."""
    uid = uuid.uuid4().hex[:10]
    name = f"kpi-{uid}"
    async with system.client("scoring", "admin") as admin:
        r = await admin.put(f"/v1/programs/{name}", json=DEFINITION)
        assert r.status_code == 201, r.text
    bodies = [body(f"{rid}-{uid}", name, *spec) for rid, spec in RESPONSES.items()]
    async with system.client("ingest", "ingest") as c:
        await poll(lambda: _accepted(c, bodies[0]), timeout=60, what="ingest knows the programme")
        for b in bodies[1:]:
            r = await c.post("/v1/responses", json=b)
            assert r.status_code == 202, r.text
    async with system.client("scoring", "manager") as c:
        await poll(lambda: _scored(c, name, len(bodies)), timeout=60, what="every response scored")
    return name


async def test_a_programmes_kpis(system, program):
    async with system.client("scoring", "manager") as c:
        k = (await c.get("/v1/kpis", params={"program": program})).json()
    assert (k["count"], k["not_scored"]) == (6, 1)
    assert k["iec"]["mean"] == approx(sum(IEC.values()) / 6)
    assert (k["iec"]["min"], k["iec"]["max"]) == (approx(5 / 3), 10)
    assert k["iec"]["distribution"] == {str(p): int(p in (1, 5, 6, 8, 9, 10)) for p in range(1, 11)}
    assert k["segments"] == {"nunca_mas": 1, "funcional": 2, "pasivo": 1, "wow": 2}
    assert k["segment_shares"] == {
        "nunca_mas": approx(1 / 6),
        "funcional": approx(2 / 6),
        "pasivo": approx(1 / 6),
        "wow": approx(2 / 6),
    }
    # recommend 0, 10, 10, 10, 5, 7, 6: the unscored r6 counts for NPS too
    assert k["nps"] == {"score": 0.0, "promoters": 3, "passives": 1, "detractors": 3, "count": 7}
    assert k["bai"] == {"score": approx(100 / 6), "defenders": 2, "critics": 1, "count": 6}
    assert k["ces"] == {"mean": approx(21 / 5), "count": 5, "scale": {"min": 1, "max": 7}}
    assert k["csat"] == {
        "mean": approx(20 / 6),
        "count": 6,
        "satisfied": 3,
        "satisfied_share": 0.5,
        "scale": {"min": 1, "max": 5},
    }
    # r7 has no touchpoint: in every figure above, in none of these.
    assert k["touchpoints"] == [
        {"touchpoint": "contact_center", "count": 1, "iec_mean": approx(CONTACT_CENTER)},
        {"touchpoint": "sales", "count": 2, "iec_mean": approx(SALES)},
        {"touchpoint": "web", "count": 2, "iec_mean": approx(WEB)},
    ]
    assert k["consistency"]["score"] == approx(1 - pstdev([CONTACT_CENTER, SALES, WEB]) / 4.5)
    assert k["consistency"]["compared"] == 3 and "standard deviation" in k["consistency"]["method"]


async def test_kpis_per_touchpoint_and_period(system, program):
    async with system.client("scoring", "manager") as c:
        k = (
            await c.get(
                "/v1/kpis", params={"program": program, "touchpoint": "web", "from": "2026-01-06", "to": "2026-01-31"}
            )
        ).json()
    assert (k["count"], k["not_scored"], k["iec"]["mean"]) == (1, 0, approx(26 / 3))
    assert k["segments"] == {"nunca_mas": 0, "funcional": 0, "pasivo": 1, "wow": 0}
    assert k["ces"] == {"mean": 2, "count": 1, "scale": {"min": 1, "max": 7}}
    assert (k["csat"]["mean"], k["csat"]["satisfied"]) == (4, 1)
    assert k["touchpoints"] == [{"touchpoint": "web", "count": 1, "iec_mean": approx(26 / 3)}]
    assert k["consistency"]["score"] is None and k["consistency"]["compared"] == 1


async def test_a_monthly_series(system, program):
    async with system.client("scoring", "manager") as c:
        r = await c.get("/v1/kpis/series", params={"program": program, "bucket": "month"})
        assert r.status_code == 200, r.text
        jan, feb = r.json()
    assert (jan["start"], feb["start"]) == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")

    assert (jan["count"], jan["not_scored"], jan["iec_mean"]) == (3, 0, approx((IEC["r1"] + IEC["r2"] + 10) / 3))
    assert jan["segments"] == {"nunca_mas": 1, "funcional": 0, "pasivo": 1, "wow": 1}
    assert jan["nps"] == {"score": approx(100 / 3), "promoters": 2, "passives": 0, "detractors": 1, "count": 3}
    assert jan["bai"]["score"] == 0.0
    assert (jan["ces"]["mean"], jan["ces"]["count"]) == (3, 3)
    assert (jan["csat"]["mean"], jan["csat"]["satisfied"]) == (approx(10 / 3), 2)
    assert jan["consistency"] == {"score": approx(1 - (10 - WEB) / 2 / 4.5), "compared": 2}

    assert (feb["count"], feb["not_scored"], feb["iec_mean"]) == (3, 1, approx((28 / 3 + 5.5 + 6.8) / 3))
    assert feb["segments"] == {"nunca_mas": 0, "funcional": 2, "pasivo": 0, "wow": 1}
    assert feb["nps"] == {"score": -25.0, "promoters": 1, "passives": 1, "detractors": 2, "count": 4}
    assert feb["bai"]["score"] == approx(100 / 3)
    assert (feb["ces"]["mean"], feb["ces"]["count"]) == (6, 2)
    assert (feb["csat"]["mean"], feb["csat"]["satisfied"]) == (approx(10 / 3), 1)
    assert feb["consistency"] == {"score": approx(1 - (28 / 3 - 5.5) / 2 / 4.5), "compared": 2}


async def test_a_series_spans_its_period_with_quiet_buckets_as_zero(system, program):
    async with system.client("scoring", "manager") as c:
        months = (
            await c.get(
                "/v1/kpis/series",
                params={"program": program, "bucket": "month", "from": "2025-12-01", "to": "2026-03-31"},
            )
        ).json()
        weeks = (
            await c.get(
                "/v1/kpis/series",
                params={"program": program, "bucket": "week", "from": "2026-01-05", "to": "2026-01-18"},
            )
        ).json()
        days = (
            await c.get(
                "/v1/kpis/series",
                params={
                    "program": program,
                    "bucket": "day",
                    "touchpoint": "web",
                    "from": "2026-01-05",
                    "to": "2026-01-07",
                },
            )
        ).json()
    assert [(p["start"][:10], p["count"]) for p in months] == [
        ("2025-12-01", 0),
        ("2026-01-01", 3),
        ("2026-02-01", 3),
        ("2026-03-01", 0),
    ]
    quiet = months[0]
    assert quiet["iec_mean"] is None and quiet["nps"]["score"] is None and quiet["bai"]["score"] is None
    assert quiet["ces"] == {"mean": None, "count": 0, "scale": {"min": 1, "max": 7}}  # the programme asks it
    assert [(p["start"][:10], p["count"]) for p in weeks] == [("2026-01-05", 2), ("2026-01-12", 0)]  # Mondays
    assert [(p["start"][:10], p["count"], p["iec_mean"]) for p in days] == [
        ("2026-01-05", 1, approx(IEC["r1"])),
        ("2026-01-06", 1, approx(IEC["r2"])),
        ("2026-01-07", 0, None),
    ]


async def test_ces_and_csat_appear_only_where_asked_or_answered(system, uid):
    tp = f"tp-{uid}"
    async with system.client("ingest", "ingest") as c:
        r = await c.post(
            "/v1/responses",
            json=body(
                f"d-{uid}",
                "default",
                tp,
                "2026-01-05T10:00:00Z",
                {"experience": 7, "worth": 7, "recommend": 7, "csat": 5},
            ),
        )
        assert r.status_code == 202, r.text
    async with system.client("scoring", "agent") as c:
        k = await poll(lambda: _scored_at(c, tp), timeout=60, what="the response scored")
        # `default` does not ask CSAT: its scale is unknown, so the answer is kept but not counted.
        assert k["ces"] is None and k["csat"] is None
        [point] = (await c.get("/v1/kpis/series", params={"touchpoint": tp, "bucket": "day"})).json()
        assert (point["start"], point["count"], point["ces"], point["csat"]) == ("2026-01-05T00:00:00Z", 1, None, None)
        assert (await c.get("/v1/kpis/series", params={"touchpoint": f"none-{uid}"})).json() == []


async def _scored_at(client: httpx.AsyncClient, touchpoint: str) -> dict | None:
    k = (await client.get("/v1/kpis", params={"touchpoint": touchpoint, "program": "default"})).json()
    return k if k["count"] == 1 else None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"bucket": "hour"}, "bucket"),
        ({"bucket": "day", "from": "2000-01-01", "to": "2026-01-01"}, "bucket"),  # more than 1000 buckets
        ({"bucket": "week", "from": "last monday"}, "from"),
        ({"bucket": "month", "from": "2026-02-01", "to": "2026-01-01"}, "to"),
    ],
)
async def test_a_bad_series_request_is_problem_json_naming_the_parameter(system, params, field):
    async with system.client("scoring", "manager") as c:
        r = await c.get("/v1/kpis/series", params=params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == field


async def test_the_series_needs_a_reader_key(system):
    async with system.client("scoring", None) as anon:
        assert (await anon.get("/v1/kpis/series")).status_code == 401
    async with system.client("scoring", "ingest") as ingest:
        assert (await ingest.get("/v1/kpis/series")).status_code == 403
