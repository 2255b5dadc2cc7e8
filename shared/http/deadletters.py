"""`/v1/dead-letters` on every service (role admin): what the service gave up on, and acting on it.

The list never carries the events (they hold customers' personal data); one letter, read by an
admin, does. Nothing of an event is ever logged (shared.deadletters).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from shared import replay
from shared.http.auth import Admin
from shared.http.deps import RuntimeDep
from shared.http.paging import Limit, Offset, Page

LetterId = Annotated[str, Path(max_length=64, description="the dead letter's id")]


class DeadLetterOut(BaseModel):
    id: str
    kind: Literal["consumer", "outbox"]
    status: Literal["pending", "replayed", "discarded"]
    topic: str
    partition: int | None = None
    offset: int | None = None
    consumer_group: str | None = None
    outbox_row_id: int | None = None
    event_id: str | None = None
    event_type: str | None = None
    size: int
    error_class: str
    error: str
    replay_attempts: int
    last_replay_at: datetime | None = None
    resolved_by: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> DeadLetterOut:
        return cls.model_validate({name: getattr(row, name, None) for name in cls.model_fields})


class DeadLetterDetail(DeadLetterOut):
    key: str | None = None
    original: Any = None
    original_base64: str | None = None

    @classmethod
    def of(cls, row: Any) -> DeadLetterDetail:
        out = DeadLetterOut.of(row).model_dump()
        out["key"] = row.key.decode(errors="replace") if row.key is not None else None
        try:
            out["original"] = orjson.loads(row.original) if row.original else None
        except orjson.JSONDecodeError:
            out["original_base64"] = base64.b64encode(row.original).decode()
        return cls.model_validate(out)


DeadLetterPage = Page[DeadLetterOut]


def router() -> APIRouter:
    r = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])

    @r.get("", response_model=DeadLetterPage)
    async def list_dead_letters(
        runtime: RuntimeDep,
        _: Admin,
        status: Annotated[Literal["pending", "replayed", "discarded"] | None, Query()] = None,
        kind: Annotated[Literal["consumer", "outbox"] | None, Query()] = None,
        type: Annotated[str | None, Query(max_length=255, description="the event's CloudEvents type")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> DeadLetterPage:
        """This service's dead letters, newest first, with the error (the events themselves: GET one)."""
        store = replay._store(runtime)
        async with runtime.sessions() as session:
            total, rows = await store.page(
                session, status=status, kind=kind, event_type=type, limit=limit, offset=offset
            )
        return DeadLetterPage(items=[DeadLetterOut.of(r) for r in rows], total=total, limit=limit, offset=offset)

    @r.get("/{letter_id}", response_model=DeadLetterDetail, responses={404: {"description": "no such dead letter"}})
    async def get_dead_letter(letter_id: LetterId, runtime: RuntimeDep, _: Admin) -> DeadLetterDetail:
        """One dead letter with its original event (`original`, or `original_base64` when not JSON)."""
        return DeadLetterDetail.of(await replay.find(runtime, letter_id))

    @r.post(
        "/{letter_id}/replay",
        response_model=DeadLetterOut,
        responses={
            404: {"description": "no such dead letter"},
            409: {"description": "it was discarded, or its event erased"},
            422: {"description": "it failed again: the error (the letter stays as it was)"},
            503: {"description": "a dependency is away: retry"},
        },
    )
    async def replay_dead_letter(letter_id: LetterId, runtime: RuntimeDep, who: Admin) -> DeadLetterOut:
        """A consumer's dead letter runs through the service's handler again (its inbox makes a repeat
        harmless); an outbox row set aside is published again."""
        return DeadLetterOut.of(await replay.replay(runtime, letter_id, who.who))

    @r.post(
        "/{letter_id}/discard",
        response_model=DeadLetterOut,
        responses={404: {"description": "no such dead letter"}, 409: {"description": "it was replayed"}},
    )
    @r.delete(
        "/{letter_id}",
        response_model=DeadLetterOut,
        responses={404: {"description": "no such dead letter"}, 409: {"description": "it was replayed"}},
    )
    async def discard_dead_letter(letter_id: LetterId, runtime: RuntimeDep, who: Admin) -> DeadLetterOut:
        """Give up on it (`POST …/discard` or `DELETE`): it stays listed, as discarded."""
        return DeadLetterOut.of(await replay.discard(runtime, letter_id, who.who))

    return r
