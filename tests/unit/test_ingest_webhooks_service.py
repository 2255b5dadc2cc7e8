"""Ingest's webhook use cases in process: the real unit of work on a migrated SQLite file, the outbox
and the quarantine checked, no broker and no HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import db
from shared.egress import Egress
from shared.events import EventType, decode
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.uow import UnitsOfWork
from services.ingest import queries
from services.ingest.app import MIGRATIONS, SERVICE
from services.ingest.domain.mapping import Mapping
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.models import messaging
from services.ingest.service import Intake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
MAPPING = {
    "response_id": "response_id",
    "submitted_at": "submitted_at",
    "customer_id": 'answers["Customer number"]',
    "answers": {
        "experience": 'answers["Do I remember my contacts with the company as positive experiences?"]',
        "worth": 'answers["Is it worth being a customer of the company?"]',
        "recommend": 'answers["Would I recommend the company to a colleague or friend?"]',
    },
}
TOKEN = "a-token-of-sixteen-or-more"


@pytest.fixture
async def intake(tmp_path):
    settings = Settings(database_url=None, var_dir=tmp_path)
    await db.migrate(settings, SERVICE, MIGRATIONS)
    engine = db.make_engine(settings, SERVICE)
    uow = UnitsOfWork(db.make_sessionmaker(engine), messaging)
    woken: list[str] = []
    uow.on_publish(lambda: woken.append("relay"))
    intake = Intake(uow, ProgramCatalog(), SecretBox.from_settings(settings), Egress(False))
    await intake.create_source(
        source_id="gf",
        platform="generic",
        program="default",
        name=None,
        credentials={"token": TOKEN},
        api_base_url=None,
        mapping=Mapping.model_validate(MAPPING),
        who="test",
    )
    yield intake, uow, woken
    await engine.dispose()


def body(**answers) -> bytes:
    payload = json.loads((FIXTURES / "generic_google_forms.json").read_text())
    payload["answers"].update(answers)
    return json.dumps(payload).encode()


async def outbox(uow: UnitsOfWork) -> list:
    async with uow.read() as session:
        return [decode(v) for v in (await session.scalars(select(messaging.outbox.value))).all()]


async def test_a_mapped_webhook_goes_to_the_outbox_and_the_commit_wakes_the_relay(intake):
    intake, uow, woken = intake
    outcome = await intake.receive("generic", "default", "gf", body(), {"x-lazo-token": TOKEN})
    assert outcome.status == "accepted", outcome
    [event] = await outbox(uow)
    assert (event.type, event.id) == (EventType.RESPONSE_RECEIVED, outcome.response_id)
    assert woken == ["relay"]


async def test_an_unmappable_webhook_is_quarantined_and_published_after_the_mapping_is_fixed(intake):
    intake, uow, woken = intake
    outcome = await intake.receive(
        "generic", "default", "gf", body(**{"Customer number": None}), {"x-lazo-token": TOKEN}
    )
    assert outcome.status == "quarantined" and await outbox(uow) == [] and woken == []
    fixed = {**MAPPING, "customer_id": "respondent_email"}
    await intake.update_source(
        "gf",
        platform="generic",
        program="default",
        name=None,
        credentials=None,
        api_base_url=None,
        mapping=Mapping.model_validate(fixed),
        who="test",
    )
    replayed = await intake.replay(outcome.quarantine_id, "admin")
    assert replayed.status == "accepted" and [e.id for e in await outbox(uow)] == [replayed.response_id]
    async with uow.read() as session:
        row = await queries.quarantined(session, outcome.quarantine_id)
    assert (row.status, row.replayed_by, row.response_id) == ("replayed", "admin", replayed.response_id)
