"""Webhook use cases: verify a platform's request, read it, map it, then publish the response (through
the outbox) or keep the payload in quarantine; for platforms whose answers must be fetched, store a
fetch job and acknowledge at once.

Why the outbox rather than publishing in the request, as `POST /v1/responses` does: platforms give
us a few seconds (Formbricks 5 s and no retries, Tally 10 s) and the broker may take up to
`publish_timeout_s` to say no. A correctly signed webhook is acknowledged once it is in the
database, as a response in the outbox or as a payload in quarantine, and is never lost; the
database being down is the only 503 (Typeform, Tally retry it; Formbricks cannot be helped).
A mapping failure is acknowledged too (200, status `quarantined`): retrying cannot fix it, a
corrected mapping and a replay can.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping as MappingABC
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import transaction
from shared.errors import Conflict, InvalidInput, NotFound, Unauthorized, Unavailable
from shared.events import Envelope, Topic, utcnow
from shared.limits import ResponseBounds
from shared.runtime import Runtime
from shared.sealing import SealError, SecretBox
from shared.tombstones import ErasureGuard
from services.ingest import erasure, sources
from services.ingest.domain import platforms
from services.ingest.domain.mapping import ADAPTERS, Mapping, MappingError, map_document, platform_response_id
from services.ingest.domain.platforms import PLATFORMS, UnreadablePayload
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import ResponseIn
from services.ingest.domain.signatures import SignatureError
from services.ingest.metrics import WEBHOOKS
from services.ingest.models import (FetchJob, QuarantinedPayload, QuarantineStage, QuarantineStatus, Source,
                                    WebhookDelivery, messaging)
from services.ingest.source_cache import KnownSource, SourceCache
from services.ingest.service import DEFAULT_BOUNDS, to_event

log = logging.getLogger("lazo.ingest.webhooks")


# The most a Formbricks endpoint test (`{"event": "testEndpoint"}`) can be.
FORMBRICKS_TEST_BYTES = 200


@dataclass
class Outcome:
    status: str  # accepted | quarantined | fetching | ignored | duplicate
    response_id: str | None = None
    quarantine_id: str | None = None
    reason: str | None = None
    errors: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def is_formbricks_test(body: bytes) -> bool:
    """`{"event": "testEndpoint"}`: the request Formbricks sends when a webhook is saved."""
    if len(body) > FORMBRICKS_TEST_BYTES:
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("event") == "testEndpoint" and not payload.get("data")


def body_key(body: bytes) -> str:
    """The delivery key of a body that names no response id."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Intake:
    def __init__(self, runtime: Runtime, catalog: ProgramCatalog, box: SecretBox,
                 bounds: ResponseBounds = DEFAULT_BOUNDS):
        self._runtime = runtime
        self.catalog = catalog
        self.box = box
        self.bounds = bounds  # the same as POST /v1/responses: a mapped response is one like any other
        self.sources = SourceCache()
        self.on_fetch_job: Callable[[], None] = lambda: None  # the fetch worker's wake-up
        self.erased: ErasureGuard | None = None  # erased customers (services.ingest.erasure)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        """One unit of work that writes (shared.db.transaction queues SQLite's writers). It waits
        for an erasure in progress first, so that what it stores is either swept by the erasure or
        checked against its tombstone (shared.tombstones)."""
        async with transaction(self.sessions) as s:
            if self.erased is not None:
                await self.erased.wait_for_erasures(s)
            yield s

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._runtime.sessions is None:
            raise Unavailable("the database is not set up yet")
        return self._runtime.sessions

    # --- the webhook -------------------------------------------------------------------------

    async def admit(self, platform: str, program: str, source_id: str | None, declared: int | None) -> int | None:
        """Before the body is read (shared.http.doors): the platform and the source must exist, so
        that nothing is read that nobody can verify. Formbricks' endpoint test is the exception (it
        comes before its source can exist, see `receive`): of a body that may be one (`declared`
        bytes at most a test's, or not declared), at most a test's few bytes are read."""
        if platform not in PLATFORMS:
            raise NotFound(f"unknown platform '{platform}'; one of {sorted(PLATFORMS)}")
        try:
            await self._known(platform, program, source_id)
        except (NotFound, Conflict):
            if platform == "formbricks" and (declared is None or declared <= FORMBRICKS_TEST_BYTES):
                return FORMBRICKS_TEST_BYTES
            raise
        return None

    async def receive(self, platform: str, program: str, source_id: str | None, body: bytes,
                      headers: MappingABC[str, str], client: str = "?") -> Outcome:
        if platform not in PLATFORMS:
            raise NotFound(f"unknown platform '{platform}'; one of {sorted(PLATFORMS)}")
        if platform == "formbricks" and is_formbricks_test(body):
            # Formbricks saves a webhook only if this ping gets a 2xx, and signs it (if at all) with a
            # secret it shows only afterwards: answer it before any source or signature. It carries
            # nothing and changes nothing.
            return Outcome("ignored", reason="Formbricks endpoint test")
        known = await self._known(platform, program, source_id)
        source = known.source
        try:
            platforms.verify(PLATFORMS[platform], known.credentials, body, headers)
        except SignatureError as exc:
            # Logged without the body: an unverified body is nobody's data.
            log.warning("%s webhook for source %s from %s refused: %s", platform, source.id, client, exc)
            WEBHOOKS.labels(platform, "unauthorized").inc()
            raise Unauthorized(f"{platform} signature check failed: {exc}") from None
        try:
            payload = platforms.parse(PLATFORMS[platform], body)
        except UnreadablePayload as exc:
            outcome = await self._hold_now(source, body_key(body), QuarantineStage.PAYLOAD,
                                           body.decode("utf-8", errors="replace"), str(exc))
        else:
            outcome = await self.process(source, payload, fallback_key=body_key(body), raw=body, mapping=known.mapping,
                                         event_id=platforms.event_id(PLATFORMS[platform], payload))
        WEBHOOKS.labels(platform, outcome.status).inc()
        return outcome

    async def _known(self, platform: str, program: str, source_id: str | None) -> KnownSource:
        key = (platform, program, source_id)
        known = self.sources.get(key)
        if known is None:
            async with self.sessions() as s:
                source = await sources.for_webhook(s, platform, program, source_id)
            try:
                credentials = self.box.open(source.credentials_sealed)
            except SealError as exc:
                log.error("source %s: %s", source.id, exc)
                raise Unavailable("this source's credentials cannot be read; the operator must fix the key") from None
            known = KnownSource(source, credentials, Mapping.model_validate(source.mapping), time.monotonic())
            self.sources.put(key, known)
        return known

    async def process(self, source: Source, payload: Any, *, fallback_key: str, raw: bytes | None = None,
                      who: str | None = None, mapping: Mapping | None = None, event_id: str | None = None) -> Outcome:
        """A verified payload: ignore it, queue its fetch, or map it. `event_id`: the platform's id of
        this delivery, refused if it was received before."""
        spec, adapter = PLATFORMS[source.platform], ADAPTERS[source.platform]
        why = adapter.completion(payload)
        if why is not None:
            return Outcome("ignored", reason=why)
        if spec.fetches:
            ids = adapter.fetch_ids(payload)
            if ids is None:
                document = raw.decode("utf-8", errors="replace") if raw is not None else json.dumps(payload)
                return await self._hold_now(source, fallback_key, QuarantineStage.PAYLOAD, document,
                                            "the event names no survey and response id")
            await self.enqueue_fetch(source, ids[1], payload)
            return Outcome("fetching")
        mapping = mapping or Mapping.model_validate(source.mapping)
        key = platform_response_id(source.platform, payload, mapping) or fallback_key
        return await self.settle(source, payload, key[:200], who=who, mapping=mapping, event_id=event_id)

    # --- mapping and its outcome ----------------------------------------------------------------

    def map(self, source: Source, document: Any, mapping: Mapping | None = None
            ) -> tuple[ResponseIn, Envelope] | MappingError:
        mapping = mapping or Mapping.model_validate(source.mapping)
        try:
            response = map_document(source.platform, document, mapping, source_id=source.id,
                                    program=source.program, definition=self.catalog.get(source.program))
            return response, to_event(response, self.catalog, source=f"{source.platform}/{source.id}",
                                      bounds=self.bounds)
        except MappingError as exc:
            return exc
        except InvalidInput as exc:  # the programme's checks (scales, unknown programme), the bounds
            errors = []
            for e in exc.errors or [{"field": "response", "message": exc.detail}]:
                key = e["field"].removeprefix("answers.")
                ref = mapping.answers.get(key) if e["field"].startswith("answers.") else None
                errors.append({"field": e["field"], "path": (ref.field or "") if ref else "", "message": e["message"]})
            return MappingError(errors)

    async def settle(self, source: Source, document: Any, key: str, *, who: str | None = None,
                     job_id: int | None = None, delivered: bool = True, mapping: Mapping | None = None,
                     event_id: str | None = None) -> Outcome:
        """Map and commit the result: the response to the outbox, or the document to quarantine. A
        delivery whose `event_id` was settled before is a replay: answered `duplicate`, nothing changes."""
        result = self.map(source, document, mapping)
        for attempt in (1, 2):  # a concurrent delivery of the same payload may win the insert
            try:
                async with self._write() as s:
                    if event_id is not None and (seen := await s.get(WebhookDelivery, (source.id, event_id))):
                        log.info("%s delivery %s for source %s received again: not processed", source.platform,
                                 event_id, source.id)
                        return Outcome("duplicate", response_id=seen.response_id, quarantine_id=seen.quarantine_id,
                                       reason=f"this delivery (event id {event_id}) was received before "
                                              f"({seen.status}); nothing was done again")
                    if job_id is not None:
                        job = await s.get(FetchJob, job_id)
                        if job is not None:
                            await s.delete(job)
                    if isinstance(result, MappingError):
                        qid = await self._hold(s, source, key, QuarantineStage.MAPPING, json.dumps(document),
                                               result.summary, result.errors, delivered=delivered)
                        if event_id is not None:
                            s.add(WebhookDelivery(source_id=source.id, event_id=event_id, status="quarantined",
                                                  quarantine_id=qid, received_at=utcnow()))
                        return Outcome("quarantined", quarantine_id=qid, reason=result.summary, errors=result.errors)
                    _, envelope = result
                    messaging.add(s, Topic.RESPONSES, envelope)
                    if event_id is not None:
                        s.add(WebhookDelivery(source_id=source.id, event_id=event_id, status="accepted",
                                              response_id=envelope.id, received_at=utcnow()))
                    # A quarantined earlier delivery of this response is now settled too. A refetch
                    # keeps the name of the admin who replayed it.
                    q = QuarantinedPayload
                    by = case((q.status == QuarantineStatus.REFETCHING, q.replayed_by),
                              else_=who or "platform redelivery")
                    await s.execute(update(q).where(
                        q.source_id == source.id, q.delivery_key == key, q.status != QuarantineStatus.REPLAYED,
                    ).values(status=QuarantineStatus.REPLAYED, replayed_at=utcnow(), response_id=envelope.id,
                             replayed_by=by).execution_options(synchronize_session=False))
                self._runtime.notify_outbox()
                return Outcome("accepted", response_id=envelope.id)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _hold_now(self, source: Source, key: str, stage: str, document: str, reason: str) -> Outcome:
        for attempt in (1, 2):
            try:
                async with self._write() as s:
                    qid = await self._hold(s, source, key, stage, document, reason, None)
                return Outcome("quarantined", quarantine_id=qid, reason=reason)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _hold(self, s: AsyncSession, source: Source, key: str, stage: str, document: str, reason: str,
                    errors: list[dict[str, Any]] | None, *, delivered: bool = True) -> str:
        """Quarantine a document: one row per (source, delivery key), updated by later deliveries."""
        if self.erased is not None and await erasure.names_an_erased_customer(s, self.erased, document):
            document, reason, errors = "", erasure.WITHHELD_REASON, None
        now = utcnow()
        q = QuarantinedPayload
        values: dict[str, Any] = dict(stage=stage, reason=reason[:4000], errors=errors, document=document,
                                      status=QuarantineStatus.HELD, updated_at=now)
        if delivered:
            values["deliveries"] = q.deliveries + 1
        found = (await s.execute(update(q).where(q.source_id == source.id, q.delivery_key == key)
                                 .values(**values).returning(q.id))).scalar_one_or_none()
        if found is not None:
            return found
        qid = f"q-{uuid.uuid4().hex[:20]}"
        s.add(q(id=qid, source_id=source.id, platform=source.platform, program=source.program, delivery_key=key,
                stage=stage, reason=reason[:4000], errors=errors, document=document, status=QuarantineStatus.HELD,
                deliveries=1, received_at=now, updated_at=now))
        log.info("quarantined %s payload %s of source %s: %s", source.platform, key, source.id, reason[:300])
        return qid

    # --- fetch jobs ----------------------------------------------------------------------------------

    async def enqueue_fetch(self, source: Source, key: str, event: Any) -> bool:
        """Store the job (once per response); False when it was already pending."""
        now = utcnow()
        try:
            async with self._write() as s:
                s.add(FetchJob(source_id=source.id, delivery_key=key[:200], event=json.dumps(event), attempts=0,
                               next_attempt_at=now, created_at=now))
        except IntegrityError:
            return False  # a retry of a webhook whose fetch is still pending
        self.on_fetch_job()
        return True

    async def give_up_fetch(self, source: Source, job_id: int, key: str, event: Any, reason: str) -> None:
        async with self._write() as s:
            job = await s.get(FetchJob, job_id)
            if job is not None:
                await s.delete(job)
            await self._hold(s, source, key, QuarantineStage.FETCH, json.dumps({"event": event}), reason, None,
                             delivered=False)

    # --- quarantine and dry runs ---------------------------------------------------------------------

    async def replay(self, quarantine_id: str, who: str) -> Outcome:
        """Process a quarantined payload again, from the stage where it stopped, with today's mapping."""
        async with self.sessions() as s:
            row = await s.get(QuarantinedPayload, quarantine_id)
            if row is None:
                raise NotFound(f"no quarantined payload '{quarantine_id}'")
            if row.status == QuarantineStatus.REPLAYED:
                raise Conflict(f"already replayed as response '{row.response_id}'")
            if row.status == QuarantineStatus.REFETCHING:
                raise Conflict("already replayed; its fetch from the platform is pending")
            source = await s.get(Source, row.source_id)
            if source is None or source.deleted_at is not None:
                raise Conflict(f"its source '{row.source_id}' was deleted")
            if not row.document:
                raise Conflict(f"nothing to replay: {row.reason}")
        if row.stage == QuarantineStage.FETCH:
            event = json.loads(row.document)["event"]
            try:
                async with self._write() as s:
                    await s.execute(update(QuarantinedPayload).where(QuarantinedPayload.id == row.id).values(
                        status=QuarantineStatus.REFETCHING, replayed_by=who, updated_at=utcnow()))
                    s.add(FetchJob(source_id=source.id, delivery_key=row.delivery_key, event=json.dumps(event),
                                   attempts=0, next_attempt_at=utcnow(), created_at=utcnow()))
            except IntegrityError:
                raise Conflict("a fetch of this response is already pending") from None
            self.on_fetch_job()
            return Outcome("fetching", quarantine_id=row.id)
        if row.stage == QuarantineStage.PAYLOAD:
            try:
                payload = platforms.parse(PLATFORMS[source.platform], row.document.encode())
            except UnreadablePayload as exc:
                return Outcome("quarantined", quarantine_id=row.id, reason=str(exc),
                               errors=[{"field": "body", "path": "", "message": str(exc)}])
            outcome = await self.process(source, payload, fallback_key=row.delivery_key, raw=row.document.encode(),
                                         who=who)
        else:
            outcome = await self.settle(source, json.loads(row.document), row.delivery_key, who=who, delivered=False)
        if outcome.status in ("accepted", "fetching", "ignored") and outcome.quarantine_id != row.id:
            # Settled under another key (a re-read payload now naming its response): this row is done;
            # a fetch that fails again is quarantined under the response's own key.
            async with self._write() as s:
                await s.execute(update(QuarantinedPayload).where(
                    QuarantinedPayload.id == row.id, QuarantinedPayload.status == QuarantineStatus.HELD,
                ).values(status=QuarantineStatus.REPLAYED, replayed_by=who, replayed_at=utcnow(),
                         response_id=outcome.response_id))
        return outcome

    async def dry_run(self, source_id: str, document: Any) -> dict[str, Any]:
        """The canonical response a sample payload would become, or InvalidInput with the mapping errors."""
        async with self.sessions() as s:
            source = await sources.live(s, source_id)
        if not PLATFORMS[source.platform].fetches:
            why = ADAPTERS[source.platform].completion(document)
            if why is not None:
                raise InvalidInput(f"this payload would be ignored: {why}", errors=[{"field": "body", "message": why}])
        result = self.map(source, document)
        if isinstance(result, MappingError):
            raise InvalidInput(f"the mapping cannot handle this payload: {result.summary}", errors=result.errors)
        response, _ = result
        return response.model_dump(mode="json")
