"""Ingest's use cases: a canonical response validated against its programme and its bounds and handed
to the broker; platform webhooks verified, mapped and published (through the outbox) or quarantined;
the sources that post them; the replay window of their deliveries.

Why webhooks go through the outbox rather than publishing in the request, as `POST /v1/responses`
does: platforms give us a few seconds (Formbricks 5 s and no retries, Tally 10 s) and the broker
may take up to `publish_timeout_s` to say no. A correctly signed webhook is acknowledged once it is
in the database, as a response in the outbox or as a payload in quarantine, and is never lost; the
database being down is the only 503 (Typeform, Tally retry it; Formbricks cannot be helped).
A mapping failure is acknowledged too (200, status `quarantined`): retrying cannot fix it, a
corrected mapping and a replay can.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from collections.abc import Mapping as MappingABC
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from shared import limits
from shared.batch import RETRY_AFTER_S, ItemResult, accept_each
from shared.broker import Publisher
from shared.clock import as_utc
from shared.contracts.responses import Customer, ResponseReceived, content_digest
from shared.egress import Egress, origin_of
from shared.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, Unauthorized, Unavailable
from shared.events import Envelope, EventType, Topic, utcnow
from shared.group_commit import GroupCommit
from shared.limits import ResponseBounds
from shared.publishing import EventTooLarge, is_permanent, refused
from shared.sealing import SealError, SecretBox
from shared.tombstones import ErasureGuard
from shared.ttlcache import TtlCache
from shared.uow import UnitOfWork, UnitsOfWork
from services.ingest import queries, repository
from services.ingest.domain import platforms
from services.ingest.domain.mapping import ADAPTERS, Mapping, MappingError, map_document, platform_response_id
from services.ingest.domain.platforms import PLATFORMS, UnreadablePayload, credential_errors, stored_credentials
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import ResponseIn, scale_errors
from services.ingest.domain.signatures import SignatureError
from services.ingest.domain.webhooks import FORMBRICKS_TEST_BYTES, Outcome, body_key, is_formbricks_test
from services.ingest.metrics import WEBHOOKS
from services.ingest.models import QuarantineStage, QuarantineStatus, Source
from services.ingest.platform_api import base_url_problem

log = logging.getLogger("lazo.ingest.webhooks")

SOURCE = "/lazo/ingest"
DEFAULT_BOUNDS = ResponseBounds()


class ResponseTooLarge(PayloadTooLarge, InvalidInput):
    """A response whose event the pipeline could not carry: 413, naming its largest part."""


def bounds_errors(response: ResponseIn, bounds: ResponseBounds, now) -> list[dict[str, str]]:
    """The tunable bounds (Settings): the comment's length, the window of submission dates."""
    errors = []
    if response.comment is not None and len(response.comment) > bounds.comment_chars:
        errors.append(
            {"field": "comment", "message": f"{len(response.comment)} characters; at most {bounds.comment_chars}"}
        )
    if response.submitted_at is not None and (problem := bounds.window.problem(response.submitted_at, now)):
        errors.append({"field": "submitted_at", "message": problem})
    return errors


def to_event(
    response: ResponseIn, catalog: ProgramCatalog, *, source: str | None = None, bounds: ResponseBounds = DEFAULT_BOUNDS
) -> Envelope:
    """The `lazo.response.received` event for a response, or InvalidInput naming the fields at fault
    (ResponseTooLarge when the response as a whole is more than the pipeline carries)."""
    now = utcnow()
    program = catalog.get(response.program)
    errors = bounds_errors(response, bounds, now)
    if program is None:
        errors.append({"field": "program", "message": f"unknown programme '{response.program}'"})
    else:
        errors += scale_errors(response, program)
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    submitted_at = as_utc(response.submitted_at) if response.submitted_at else now
    data = ResponseReceived(
        response_id=response.response_id,
        program=response.program,
        customer=Customer(**response.customer.model_dump()),
        submitted_at=submitted_at,
        received_at=now,
        touchpoint=response.touchpoint,
        answers=response.answers,
        comment=response.comment,
        case_id=response.case_id,
        source=source,
        invitation_token=response.invitation_token,
    ).model_dump(mode="json")
    data["digest"] = content_digest(data, submitted_at_given=response.submitted_at is not None)
    if too_big := limits.oversized(data, limits.RESPONSE_MAX_BYTES):
        size, part = too_big
        message = (
            f"the response takes {size} bytes as an event; at most {limits.RESPONSE_MAX_BYTES} "
            f"(its largest part is '{part}')"
        )
        raise ResponseTooLarge(message, errors=[{"field": part, "message": message}])
    # The response id is the event id: a platform's retry is the same event to every consumer.
    return Envelope.new(
        id=response.response_id,
        type=EventType.RESPONSE_RECEIVED,
        source=SOURCE,
        subject=response.customer.id,
        data=data,
        time=now,
    )


def _refused(exc: BaseException | None, field: str) -> InvalidInput | None:
    """The client's error when the broker can never take the event, else None (it may later)."""
    if not is_permanent(exc):
        return None
    if isinstance(refused(exc), EventTooLarge):
        return ResponseTooLarge(
            "the broker refuses an event this large",
            errors=[{"field": field, "message": "too large for the event broker"}],
        )
    return InvalidInput(
        "the broker refuses this event as invalid",
        errors=[{"field": field, "message": f"refused by the event broker ({type(exc).__name__})"}],
    )


async def accept(
    publisher: Publisher, catalog: ProgramCatalog, response: ResponseIn, bounds: ResponseBounds = DEFAULT_BOUNDS
) -> Envelope:
    envelope = to_event(response, catalog, bounds=bounds)
    [outcome] = await publisher.publish_each(Topic.RESPONSES, [(envelope.to_bytes(), envelope.key)])
    if outcome is not None:
        raise _refused(outcome, "body") or Unavailable(
            f"the event broker did not acknowledge in time ({type(outcome).__name__})", retry_after=RETRY_AFTER_S
        )
    return envelope


def _item_refusal(exc: BaseException, where: str) -> list[dict[str, Any]] | None:
    refused = _refused(exc, where)
    return refused.errors if refused is not None else None


async def accept_batch(
    publisher: Publisher, catalog: ProgramCatalog, items: list[dict[str, Any]], bounds: ResponseBounds = DEFAULT_BOUNDS
) -> list[ItemResult]:
    """Validate each item on its own and publish every valid one; each result says what the broker
    has (shared.batch)."""
    return await accept_each(
        publisher,
        Topic.RESPONSES,
        items,
        name="responses",
        id_field="response_id",
        to_event=lambda raw: to_event(ResponseIn.model_validate(raw), catalog, bounds=bounds),
        refusal=_item_refusal,
    )


# -- webhook sources (role admin) ------------------------------------------------------------


def _check(
    platform: str,
    program: str,
    credentials: dict[str, str] | None,
    api_base_url: str | None,
    mapping: Mapping,
    catalog: ProgramCatalog,
    egress: Egress,
) -> None:
    spec = PLATFORMS[platform]
    errors: list[dict[str, Any]] = []
    if api_base_url is not None:
        problem = base_url_problem(spec, api_base_url, egress)
        if problem:
            errors.append({"field": "api_base_url", "message": problem})
    if credentials is not None:
        errors += credential_errors(spec, credentials, api_base_url)
    elif spec.fetches and not (api_base_url or spec.api_base_url):
        errors.append({"field": "api_base_url", "message": f"required for {platform}"})
    if platform == "generic" and mapping.response_id is None:
        errors.append({"field": "mapping.response_id", "message": "generic JSON needs the path of the response id"})
    if catalog.get(program) is None:
        errors.append({"field": "program", "message": f"unknown programme '{program}'"})
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


# -- platform webhooks ------------------------------------------------------------------------

SOURCES_TTL_S = 2.0


@dataclass(frozen=True)
class KnownSource:
    source: Source  # a detached row, only read
    credentials: dict[str, str]
    mapping: Mapping


class Intake:
    """The webhook use cases and the sources' (which the webhook path keeps in memory for a moment)."""

    def __init__(
        self,
        uow: UnitsOfWork,
        catalog: ProgramCatalog,
        box: SecretBox,
        egress: Egress,
        bounds: ResponseBounds = DEFAULT_BOUNDS,
        erased: ErasureGuard | None = None,
    ):
        self._uow = uow
        self.catalog = catalog
        self.box = box
        self.egress = egress
        self.bounds = bounds  # the same as POST /v1/responses: a mapped response is one like any other
        # Sources as webhooks use them (credentials opened, mapping parsed), for a moment: the webhook
        # path then costs one database write, not a read and a write. A change made through this
        # process is seen at once (`forget`); one made through another replica within SOURCES_TTL_S.
        self.sources: TtlCache[KnownSource] = TtlCache(SOURCES_TTL_S, size=1000)
        self.on_fetch_job: Callable[[], None] = lambda: None  # the fetch worker's wake-up
        self.erased = erased  # erased customers (domain.erasure)
        self._settles = GroupCommit(uow, prepare=self._wait_for_erasures)

    async def _wait_for_erasures(self, tx: UnitOfWork) -> None:
        if self.erased is not None:
            await self.erased.wait_for_erasures(tx.session)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[UnitOfWork]:
        """One unit of work that writes. It waits for an erasure in progress first, so that what it
        stores is either swept by the erasure or checked against its tombstone (shared.tombstones)."""
        async with self._uow() as tx:
            await self._wait_for_erasures(tx)
            yield tx

    # --- sources (role admin) ------------------------------------------------------------------

    async def create_source(
        self,
        *,
        source_id: str | None,
        platform: str,
        program: str,
        name: str | None,
        credentials: dict[str, str],
        api_base_url: str | None,
        mapping: Mapping,
        who: str,
    ) -> Source:
        _check(platform, program, credentials, api_base_url, mapping, self.catalog, self.egress)
        kept = stored_credentials(PLATFORMS[platform], credentials)
        now = utcnow()
        source = Source(
            id=source_id or f"{platform}-{secrets.token_hex(4)}",
            platform=platform,
            program=program,
            name=name,
            mapping=mapping.model_dump(mode="json", exclude_none=True),
            credentials_sealed=self.box.seal(kept),
            credential_names=sorted(credentials),
            api_base_url=origin_of(api_base_url) if api_base_url else None,
            created_at=now,
            created_by=who,
            updated_at=now,
            updated_by=who,
        )
        try:
            async with self._uow() as tx:
                tx.session.add(source)
        except IntegrityError:
            raise Conflict(
                f"a source '{source.id}' already exists (ids are not reused, even after deletion)",
                errors=[{"field": "id", "message": "already taken"}],
            ) from None
        self.sources.forget()
        return source

    async def update_source(
        self,
        source_id: str,
        *,
        platform: str,
        program: str,
        name: str | None,
        credentials: dict[str, str] | None,
        api_base_url: str | None,
        mapping: Mapping,
        who: str,
    ) -> Source:
        """Replace a source's settings. Credentials left out are kept as they are."""
        async with self._uow() as tx:
            source = await queries.live(tx.session, source_id)
            if platform != source.platform:
                raise InvalidInput(
                    "a source's platform cannot change; create another source",
                    errors=[{"field": "platform", "message": f"this source is {source.platform}"}],
                )
            _check(platform, program, credentials, api_base_url, mapping, self.catalog, self.egress)
            if credentials is not None:
                source.credentials_sealed = self.box.seal(stored_credentials(PLATFORMS[platform], credentials))
                source.credential_names = sorted(credentials)
            source.program = program
            source.name = name
            source.api_base_url = origin_of(api_base_url) if api_base_url else None
            source.mapping = mapping.model_dump(mode="json", exclude_none=True)
            source.updated_at = utcnow()
            source.updated_by = who
        self.sources.forget()  # this replica sees the change at once; others within seconds
        return source

    async def delete_source(self, source_id: str, who: str) -> None:
        """Stop accepting the source's webhooks (they get 404). Its quarantine stays readable."""
        async with self._uow() as tx:
            source = await queries.live(tx.session, source_id)
            source.deleted_at = utcnow()
            source.updated_by = who
        self.sources.forget()

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

    async def receive(
        self,
        platform: str,
        program: str,
        source_id: str | None,
        body: bytes,
        headers: MappingABC[str, str],
        client: str = "?",
    ) -> Outcome:
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
            outcome = await self._hold_now(
                source, body_key(body), QuarantineStage.PAYLOAD, body.decode("utf-8", errors="replace"), str(exc)
            )
        else:
            outcome = await self.process(
                source,
                payload,
                fallback_key=body_key(body),
                raw=body,
                mapping=known.mapping,
                event_id=platforms.event_id(PLATFORMS[platform], payload),
            )
        WEBHOOKS.labels(platform, outcome.status).inc()
        return outcome

    async def _known(self, platform: str, program: str, source_id: str | None) -> KnownSource:
        key = (platform, program, source_id)
        known = self.sources.get(key)
        if known is None:
            async with self._uow.read() as s:
                source = await queries.for_webhook(s, platform, program, source_id)
            try:
                credentials = self.box.open(source.credentials_sealed)
            except SealError as exc:
                log.error("source %s: %s", source.id, exc)
                raise Unavailable("this source's credentials cannot be read; the operator must fix the key") from None
            known = KnownSource(source, credentials, Mapping.model_validate(source.mapping))
            self.sources.put(key, known)
        return known

    async def process(
        self,
        source: Source,
        payload: Any,
        *,
        fallback_key: str,
        raw: bytes | None = None,
        who: str | None = None,
        mapping: Mapping | None = None,
        event_id: str | None = None,
    ) -> Outcome:
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
                return await self._hold_now(
                    source, fallback_key, QuarantineStage.PAYLOAD, document, "the event names no survey and response id"
                )
            await self.enqueue_fetch(source, ids[1], payload)
            return Outcome("fetching")
        mapping = mapping or Mapping.model_validate(source.mapping)
        key = platform_response_id(source.platform, payload, mapping) or fallback_key
        return await self.settle(source, payload, key[:200], who=who, mapping=mapping, event_id=event_id)

    # --- mapping and its outcome ----------------------------------------------------------------

    def map(
        self, source: Source, document: Any, mapping: Mapping | None = None
    ) -> tuple[ResponseIn, Envelope] | MappingError:
        mapping = mapping or Mapping.model_validate(source.mapping)
        try:
            response = map_document(
                source.platform,
                document,
                mapping,
                source_id=source.id,
                program=source.program,
                definition=self.catalog.get(source.program),
            )
            return response, to_event(
                response, self.catalog, source=f"{source.platform}/{source.id}", bounds=self.bounds
            )
        except MappingError as exc:
            return exc
        except InvalidInput as exc:  # the programme's checks (scales, unknown programme), the bounds
            errors = []
            for e in exc.errors or [{"field": "response", "message": exc.detail}]:
                key = e["field"].removeprefix("answers.")
                ref = mapping.answers.get(key) if e["field"].startswith("answers.") else None
                errors.append({"field": e["field"], "path": (ref.field or "") if ref else "", "message": e["message"]})
            return MappingError(errors)

    async def settle(
        self,
        source: Source,
        document: Any,
        key: str,
        *,
        who: str | None = None,
        job_id: int | None = None,
        delivered: bool = True,
        mapping: Mapping | None = None,
        event_id: str | None = None,
    ) -> Outcome:
        """Map and commit the result: the response to the outbox, or the document to quarantine. A
        delivery whose `event_id` was settled before is a replay: answered `duplicate`, nothing changes."""
        result = self.map(source, document, mapping)

        async def write(tx: UnitOfWork) -> Outcome:
            s = tx.session
            if event_id is not None and (seen := await repository.delivery(s, source.id, event_id)):
                return Outcome(
                    "duplicate",
                    response_id=seen.response_id,
                    quarantine_id=seen.quarantine_id,
                    reason=f"this delivery (event id {event_id}) was received before "
                    f"({seen.status}); nothing was done again",
                )
            if job_id is not None:
                await repository.drop_fetch_job(s, job_id)
            if isinstance(result, MappingError):
                qid = await repository.hold(
                    s,
                    self.erased,
                    source,
                    key,
                    QuarantineStage.MAPPING,
                    json.dumps(document),
                    result.summary,
                    result.errors,
                    delivered=delivered,
                )
                if event_id is not None:
                    repository.remember_delivery(s, source.id, event_id, "quarantined", quarantine_id=qid)
                return Outcome("quarantined", quarantine_id=qid, reason=result.summary, errors=result.errors)
            _, envelope = result
            tx.publish(Topic.RESPONSES, envelope)
            if event_id is not None:
                repository.remember_delivery(s, source.id, event_id, "accepted", response_id=envelope.id)
            await repository.settle_quarantined(s, source, key, envelope.id, who)
            return Outcome("accepted", response_id=envelope.id)

        for attempt in (1, 2):  # a concurrent delivery of the same payload may win the insert
            try:
                # Webhooks arrive many at a time: their writes share commits (shared.group_commit).
                outcome = await self._settles.write(write)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            if outcome.status == "duplicate":
                log.info(
                    "%s delivery %s for source %s received again: not processed", source.platform, event_id, source.id
                )
            return outcome
        raise AssertionError("unreachable")

    async def _hold_now(self, source: Source, key: str, stage: str, document: str, reason: str) -> Outcome:
        for attempt in (1, 2):
            try:
                async with self._write() as tx:
                    qid = await repository.hold(tx.session, self.erased, source, key, stage, document, reason, None)
                return Outcome("quarantined", quarantine_id=qid, reason=reason)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # --- fetch jobs ----------------------------------------------------------------------------------

    async def enqueue_fetch(self, source: Source, key: str, event: Any) -> bool:
        """Store the job (once per response); False when it was already pending."""
        try:
            async with self._write() as tx:
                repository.add_fetch_job(tx.session, source.id, key, event)
        except IntegrityError:
            return False  # a retry of a webhook whose fetch is still pending
        self.on_fetch_job()
        return True

    async def give_up_fetch(self, source: Source, job_id: int, key: str, event: Any, reason: str) -> None:
        async with self._write() as tx:
            await repository.drop_fetch_job(tx.session, job_id)
            await repository.hold(
                tx.session,
                self.erased,
                source,
                key,
                QuarantineStage.FETCH,
                json.dumps({"event": event}),
                reason,
                None,
                delivered=False,
            )

    # --- quarantine and dry runs ---------------------------------------------------------------------

    async def replay(self, quarantine_id: str, who: str) -> Outcome:
        """Process a quarantined payload again, from the stage where it stopped, with today's mapping."""
        async with self._uow.read() as s:
            row = await queries.quarantined(s, quarantine_id)
            if row.status == QuarantineStatus.REPLAYED:
                raise Conflict(f"already replayed as response '{row.response_id}'")
            if row.status == QuarantineStatus.REFETCHING:
                raise Conflict("already replayed; its fetch from the platform is pending")
            source = await queries.source_of(s, row.source_id)
            if source is None or source.deleted_at is not None:
                raise Conflict(f"its source '{row.source_id}' was deleted")
            if not row.document:
                raise Conflict(f"nothing to replay: {row.reason}")
        if row.stage == QuarantineStage.FETCH:
            event = json.loads(row.document)["event"]
            try:
                async with self._write() as tx:
                    await repository.mark_refetching(tx.session, row.id, who)
                    repository.add_fetch_job(tx.session, source.id, row.delivery_key, event)
            except IntegrityError:
                raise Conflict("a fetch of this response is already pending") from None
            self.on_fetch_job()
            return Outcome("fetching", quarantine_id=row.id)
        if row.stage == QuarantineStage.PAYLOAD:
            try:
                payload = platforms.parse(PLATFORMS[source.platform], row.document.encode())
            except UnreadablePayload as exc:
                return Outcome(
                    "quarantined",
                    quarantine_id=row.id,
                    reason=str(exc),
                    errors=[{"field": "body", "path": "", "message": str(exc)}],
                )
            outcome = await self.process(
                source, payload, fallback_key=row.delivery_key, raw=row.document.encode(), who=who
            )
        else:
            outcome = await self.settle(source, json.loads(row.document), row.delivery_key, who=who, delivered=False)
        if outcome.status in ("accepted", "fetching", "ignored") and outcome.quarantine_id != row.id:
            # Settled under another key (a re-read payload now naming its response): this row is done;
            # a fetch that fails again is quarantined under the response's own key.
            async with self._write() as tx:
                await repository.mark_replayed(tx.session, row.id, who, outcome.response_id)
        return outcome

    async def dry_run(self, source_id: str, document: Any) -> dict[str, Any]:
        """The canonical response a sample payload would become, or InvalidInput with the mapping errors."""
        async with self._uow.read() as s:
            source = await queries.live(s, source_id)
        if not PLATFORMS[source.platform].fetches:
            why = ADAPTERS[source.platform].completion(document)
            if why is not None:
                raise InvalidInput(f"this payload would be ignored: {why}", errors=[{"field": "body", "message": why}])
        result = self.map(source, document)
        if isinstance(result, MappingError):
            raise InvalidInput(f"the mapping cannot handle this payload: {result.summary}", errors=result.errors)
        response, _ = result
        return response.model_dump(mode="json")


# -- the replay window of webhook deliveries --------------------------------------------------


def replay_sweep_every_s(window_h: float, at_most_s: float = 3600.0) -> float:
    """How often deliveries older than the window are forgotten: hourly, or four times per window."""
    return min(at_most_s, max(1.0, window_h * 3600 / 4))


async def forget_old_deliveries(uow: UnitsOfWork, window_h: float) -> int:
    """Forget the webhook deliveries older than the replay window; how many.

    Deliveries of Typeform and Tally are remembered by event id (models.WebhookDelivery) so that a
    replay of their signed body is refused; the platforms' own retries end within hours (Typeform:
    10 h, Tally: about 31 h), so remembering `LAZO_WEBHOOK_REPLAY_WINDOW_H` (7 days by default) covers
    them with room to spare while the table stays the size of one window of deliveries."""
    async with uow() as tx:
        forgotten = await repository.forget_deliveries_before(tx.session, utcnow() - timedelta(hours=window_h))
    if forgotten:
        log.info("forgot %d webhook deliveries older than the replay window", forgotten)
    return forgotten
