"""The responses export (services.scoring.domain.export, queries.export_page): records, CSV and
NDJSON as loaders read them, and keyset paging that visits every row once in order."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.scoring import queries
from services.scoring.domain import export
from services.scoring.models import Base, Response

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ANALYSIS = {
    "language": "es",
    "sentiment": -0.75,
    "polarity": "negative",
    "emotion": "rechazo",
    "causes": [
        {"key": "billing", "evidence": "me cobraron dos veces", "polarity": "negative"},
        {"key": "responsiveness", "evidence": "nadie llama", "polarity": "negative"},
    ],
    "keyphrases": [],
    "analyzer": "builtin/1",
}


def row(i: int, **extra) -> dict:
    return {
        "response_id": f"r-{i}",
        "customer_id": f"C-{i}",
        "program": "default",
        "touchpoint": "web",
        "submitted_at": T0 + timedelta(minutes=i),
        "status": "scored",
        "reason": None,
        "iec": 2.33,
        "segment": "nunca_mas",
        "recommend_0_10": 2,
        "ces": None,
        "csat": 4.0,
        "comment": "Me cobraron, dos veces",
        "answers": {"worth": 3, "experience": 2},
        "comment_analysis": ANALYSIS,
        **extra,
    }


def test_ndjson_keeps_the_nested_objects_one_per_line():
    body = export.render("ndjson", [row(1), row(2, comment_analysis=None, comment=None)])
    lines = body.decode().split("\n")
    assert lines[-1] == "" and len(lines) == 3
    first, second = map(json.loads, lines[:2])
    assert first["submitted_at"] == "2026-11-01T09:01:00Z" and first["comment_analysis"]["emotion"] == "rechazo"
    assert first["answers"] == {"worth": 3, "experience": 2} and first["nps_points"] == 2
    assert second["comment_analysis"] is None and second["comment"] is None


def test_csv_flattens_quotes_and_defuses_formulas():
    hostile = row(
        3,
        comment='=HYPERLINK("http://evil.example","clic")',
        customer_id="@C-3",
        touchpoint="+web",
        status="rejected",
        reason="-missing answers: worth",
        iec=None,
        segment=None,
        comment_analysis=None,
    )
    body = (export.csv_header() + export.render("csv", [row(1), hostile])).decode()
    assert body.endswith("\r\n")
    parsed = list(csv.DictReader(io.StringIO(body)))
    assert list(parsed[0]) == list(export.CSV_COLUMNS)
    assert parsed[0]["comment"] == "Me cobraron, dos veces" and parsed[0]["iec"] == "2.33"
    assert (parsed[0]["emotion"], parsed[0]["causes"], parsed[0]["sentiment"]) == (
        "rechazo",
        "billing;responsiveness",
        "-0.75",
    )  # a number stays one
    assert json.loads(parsed[0]["answers"]) == {"experience": 2, "worth": 3}
    assert parsed[1]["comment"].startswith("'=HYPERLINK") and parsed[1]["customer_id"] == "'@C-3"
    assert parsed[1]["touchpoint"] == "'+web" and parsed[1]["reason"] == "'-missing answers: worth"
    assert parsed[1]["iec"] == "" and parsed[1]["emotion"] == ""


@pytest.fixture
async def sessions(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_keyset_pages_visit_every_row_once_in_order_ties_included(sessions):
    async with sessions() as s, s.begin():
        for i in range(53):  # every 5 responses share their second: ties broken by response_id
            s.add(
                Response(
                    **{**row(i), "submitted_at": T0 + timedelta(seconds=i // 5), "program": "p" if i % 4 else "other"}
                )
            )
    seen, after = [], None
    async with sessions() as s:
        while True:
            page = await queries.export_page(
                s, program="p", start=T0 + timedelta(seconds=1), end=T0 + timedelta(seconds=9), after=after, limit=4
            )
            assert len(page) <= 4
            seen += [r["response_id"] for r in page]
            if len(page) < 4:
                break
            after = (page[-1]["submitted_at"], page[-1]["response_id"])
    expected = [f"r-{i}" for i in range(53) if i % 4 and 1 <= i // 5 < 9]
    assert sorted(seen, key=lambda r: (int(r[2:]) // 5, r)) == seen  # time order, then id
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


# -- cases -----------------------------------------------------------------------------------------


async def test_cases_export_pages_with_their_timelines_in_order(tmp_path):
    from services.casework import queries as case_queries
    from services.casework.domain import export as case_export
    from services.casework.models import Base as CaseBase
    from services.casework.models import CaseRow, TimelineRow

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'casework.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(CaseBase.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as s, s.begin():
            for i in range(11):
                opened = T0 + timedelta(hours=i // 3)  # ties on opened_at
                s.add(
                    CaseRow(
                        case_id=f"case-{i:02d}",
                        customer_id=f"C-{i}",
                        program="p",
                        status="contacted",
                        owner="billing",
                        cause="=cobro doble",
                        customer_name="Ana",
                        opened_at=opened,
                        first_contact_due=opened,
                        close_due=opened,
                        seq=2,
                        version=1,
                        suggested_causes=[{"key": "billing", "evidence": "cobro"}],
                    )
                )
                s.add(
                    TimelineRow(
                        case_id=f"case-{i:02d}",
                        seq=2,
                        kind="transitioned",
                        at=opened,
                        by="agent:ana",
                        from_status="open",
                        to_status="contacted",
                        note="llamada 1",
                    )
                )
                s.add(
                    TimelineRow(case_id=f"case-{i:02d}", seq=1, kind="opened", at=opened, by="alerts", to_status="open")
                )
        pages, after = [], None
        async with sessions() as s:
            while True:
                page = await case_queries.export_page(s, program="p", start=None, end=None, after=after, limit=4)
                pages.append(page)
                if len(page) < 4:
                    break
                after = (page[-1]["opened_at"], page[-1]["case_id"])
        cases = [c for page in pages for c in page]
        assert [c["case_id"] for c in cases] == [f"case-{i:02d}" for i in range(11)]
        assert [t["seq"] for t in cases[0]["timeline"]] == [1, 2]

        ndjson = [json.loads(line) for line in case_export.render("ndjson", cases[:2]).decode().splitlines()]
        assert ndjson[0]["timeline"][1]["note"] == "llamada 1" and ndjson[0]["opened_at"] == "2026-11-01T09:00:00Z"
        assert ndjson[0]["suggested_causes"] == [{"key": "billing", "evidence": "cobro"}]
        body = (case_export.csv_header() + case_export.render("csv", cases[:2])).decode()
        parsed = list(csv.DictReader(io.StringIO(body)))
        assert parsed[0]["cause"] == "'=cobro doble" and parsed[0]["suggested_causes"] == "billing"
        assert [t["kind"] for t in json.loads(parsed[0]["timeline"])] == ["opened", "transitioned"]
    finally:
        await engine.dispose()


async def test_outcomes_export_pages_by_date_programme_and_customer(tmp_path):
    from datetime import date

    from shared.periods import LAST, period
    from services.casework import queries as case_queries
    from services.casework.domain import export as case_export
    from services.casework.models import Base as CaseBase
    from services.casework.models import OutcomeRow

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'outcomes.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(CaseBase.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as s, s.begin():
            for day in (1, 2, 3):
                for program in ("a", "b"):
                    for customer in ("C-1", "C-2"):
                        s.add(
                            OutcomeRow(
                                program=program,
                                customer_id=customer,
                                on=date(2026, 11, day),
                                renewed=True,
                                revenue=10.0,
                                event_id=f"e-{day}-{program}-{customer}",
                                recorded_at=T0,
                            )
                        )
        span = period("2026-11-02", "2026-11-03")
        seen, after = [], None
        async with sessions() as s:
            while True:
                page = await case_queries.export_outcomes_page(
                    s, program=None, start=span.start, end=span.end, after=after, limit=3
                )
                seen += [(r["on"].day, r["program"], r["customer_id"]) for r in page]
                if len(page) < 3:
                    break
                after = (page[-1]["on"], page[-1]["program"], page[-1]["customer_id"])
            assert seen == sorted((d, p, c) for d in (2, 3) for p in ("a", "b") for c in ("C-1", "C-2"))
            everything = await case_queries.export_outcomes_page(
                s, program="b", start=None, end=LAST, after=None, limit=100
            )
            assert len(everything) == 6
        body = case_export.outcomes_csv_header() + case_export.render_outcomes("csv", everything[:1])
        assert body.decode().splitlines() == [
            "program,customer_id,date,renewed,revenue,event_id,recorded_at",
            "b,C-1,2026-11-01,true,10.0,e-1-b-C-1,2026-11-01T09:00:00Z",
        ]
    finally:
        await engine.dispose()
