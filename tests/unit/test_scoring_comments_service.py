"""Scoring's comment analysis at the service layer: its handlers and use cases in-process against
SQLite through the real unit of work (no broker, no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from shared.bus import MessageBus
from shared.db import make_sessionmaker
from shared.events import Envelope, EventType, utcnow
from shared.limits import SubmissionWindow
from shared.periods import period
from shared.tombstones import CustomerDigest, ErasureGuard
from shared.uow import UnitsOfWork
from services.scoring import handlers, kpis, queries, service
from services.scoring.analysis import Analysis, load_analyzer
from services.scoring.domain import taxonomies
from services.scoring.domain.comments import CommentAnalysis, LexiconAnalyzer, Taxonomy
from services.scoring.models import Base, ResponseCause, messaging, tombstones

WOW = {"experience": 10, "worth": 9, "recommend": 10}


@pytest.fixture
async def uow(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield UnitsOfWork(make_sessionmaker(engine), messaging)
    await engine.dispose()


def received(rid: str, comment: str | None, program: str = "default") -> Envelope:
    now = utcnow()
    return Envelope.new(
        id=f"resp:{rid}",
        type=EventType.RESPONSE_RECEIVED,
        source="/test",
        subject="C-1",
        data={
            "response_id": rid,
            "program": program,
            "customer": {"id": "C-1"},
            "submitted_at": (now - timedelta(minutes=1)).isoformat(),
            "received_at": now.isoformat(),
            "answers": WOW,
            "comment": comment,
        },
    )


def bus(uow: UnitsOfWork, analysis: Analysis) -> MessageBus:
    guard = ErasureGuard("scoring", tombstones, CustomerDigest(["k"]))
    return MessageBus(uow, handlers.responses(guard, SubmissionWindow(), analysis))


async def analysis_of(uow: UnitsOfWork, rid: str) -> dict | None:
    async with uow.read() as session:
        return (await queries.response(session, rid))["comment_analysis"]


async def test_a_comment_is_analysed_with_the_score_and_its_causes_are_kept_for_the_kpis(uow):
    await bus(uow, Analysis(load_analyzer("builtin"))).handle(
        [received("r1", "La factura llegó mal y nadie me devolvió la llamada"), received("r2", None)]
    )
    first = await analysis_of(uow, "r1")
    assert first["language"] == "es" and {c["key"] for c in first["causes"]} >= {"billing", "responsiveness"}
    assert await analysis_of(uow, "r2") is None
    async with uow.read() as session:
        keys = set(await session.scalars(select(ResponseCause.key).where(ResponseCause.response_id == "r1")))
    assert keys == {c["key"] for c in first["causes"]}


async def test_analysis_off_scores_without_analysing(uow):
    await bus(uow, Analysis(load_analyzer("off"))).handle([received("r1", "La factura llegó mal")])
    assert await analysis_of(uow, "r1") is None


class Exploding:
    label = "exploding 0"

    def analyze(self, text: str, taxonomy: Taxonomy) -> CommentAnalysis | None:
        raise RuntimeError("the endpoint is down")


class Inventive:
    """Returns a cause the programme's taxonomy does not have: it is dropped."""

    label = "inventive 1"

    def analyze(self, text: str, taxonomy: Taxonomy) -> CommentAnalysis | None:
        return CommentAnalysis.from_dict(
            {
                "language": "es",
                "sentiment": -0.5,
                "polarity": "negative",
                "emotion": "decadencia",
                "analyzer": self.label,
                "causes": [
                    {"key": "billing", "evidence": "x", "polarity": "negative"},
                    {"key": "made_up", "evidence": "y", "polarity": "negative"},
                ],
            }
        )


async def test_a_plugged_in_analyzer_is_loaded_by_name_and_kept_to_the_contract(uow):
    assert isinstance(load_analyzer("builtin"), LexiconAnalyzer)
    assert isinstance(load_analyzer(f"{__name__}:Inventive"), Inventive)
    assert isinstance(load_analyzer(f"{__name__}.Exploding"), Exploding)
    with pytest.raises(ValueError):
        load_analyzer("nonsense")
    with pytest.raises(ValueError):
        load_analyzer("shared.events:utcnow")  # not an analyzer
    await bus(uow, Analysis(Inventive())).handle([received("r1", "algo")])
    assert [c["key"] for c in (await analysis_of(uow, "r1"))["causes"]] == ["billing"]
    await bus(uow, Analysis(Exploding())).handle([received("r2", "algo")])
    assert (await analysis_of(uow, "r2")) is None  # scored all the same
    async with uow.read() as session:
        assert (await queries.response(session, "r2"))["status"] == "scored"


async def test_a_taxonomy_change_then_a_reanalysis_retags_the_stored_history(uow):
    analysis = Analysis(load_analyzer("builtin"))
    comment = "El envío tardó tres semanas y encima me quitaron los puntos de fidelidad"
    await bus(uow, analysis).handle([received(f"r{i}", comment) for i in range(5)] + [received("n", None)])
    assert [c["key"] for c in (await analysis_of(uow, "r0"))["causes"]] == ["delivery"]

    cause = {"key": "loyalty_points", "names": {"es": "Puntos"}, "cues": {"es": ["puntos de fidelidad"]}}
    changed, _ = await service.change_taxonomy(uow, "default", lambda t: taxonomies.add_cause(t, cause), "admin")
    changed, _ = await service.change_taxonomy(
        uow, "default", lambda t: taxonomies.change_cause(t, "delivery", {"retired": True}), "admin"
    )
    assert changed.version == 3 and changed.get("delivery").retired

    woken = []
    job = await service.start_reanalysis(uow, analysis, "default", "admin", wake=lambda: woken.append(1))
    assert woken == [1] and job["total"] == 5 and job["status"] == "running"
    batches = 0
    while await service.reanalyse_next(uow, analysis, size=2):
        batches += 1
    assert batches == 3  # 2 + 2 + 1
    async with uow.read() as session:
        done = await queries.reanalysis(session, job["job_id"])
        causes = await session.scalar(
            select(func.count()).select_from(ResponseCause).where(ResponseCause.key == "loyalty_points")
        )
    assert (done["status"], done["done"], done["total"]) == ("completed", 5, 5)
    assert causes == 5
    assert [c["key"] for c in (await analysis_of(uow, "r4"))["causes"]] == ["loyalty_points"]


async def test_a_newer_reanalysis_supersedes_a_running_one(uow):
    analysis = Analysis(load_analyzer("builtin"))
    first = await service.start_reanalysis(uow, analysis, "default", "admin", wake=lambda: None)
    second = await service.start_reanalysis(uow, analysis, "default", "admin", wake=lambda: None)
    async with uow.read() as session:
        assert (await queries.reanalysis(session, first["job_id"]))["status"] == "superseded"
        assert (await queries.reanalysis(session, second["job_id"]))["status"] == "running"


async def test_erasure_blanks_the_analysis_with_the_comment_and_keeps_the_figures(uow):
    from services.scoring import erasure

    await bus(uow, Analysis(load_analyzer("builtin"))).handle([received("r1", "La factura llegó mal")])
    async with uow() as tx:
        counts = await erasure.erase(tx.session, "C-1", "erased-x")
    assert counts == {"responses": 1, "comments": 1}
    async with uow.read() as session:
        row = await queries.response(session, "r1")
        keys = list(await session.scalars(select(ResponseCause.key).where(ResponseCause.response_id == "r1")))
        mix = await kpis.comment_kpis(session, program="default", touchpoint=None, period=period(None, None))
    assert row["comment_analysis"] is None and row["customer_id"] == "erased-x"
    assert keys == ["billing"] and mix["analysed"] == 1  # the emotion and the cause stay as figures
