"""The fetch worker: reads the answers of acknowledged SurveyMonkey and Qualtrics webhooks from the
platforms' APIs, then publishes or quarantines them like any webhook.

Jobs live in the database (written before the webhook was acknowledged), so a restart loses
nothing. Claiming a job pushes its `next_attempt_at` one lease ahead (PostgreSQL: SKIP LOCKED, so
replicas share the work); a process dying mid-fetch leaves the lease to expire and the job runs
again. Publishing the same response twice is harmless: the response id is the event id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.db import is_postgres
from shared.egress import Egress
from shared.events import utcnow
from shared.jobs import LeasedWorker
from shared.sealing import SealError
from shared.uow import UnitsOfWork
from services.ingest import platform_api, queries, repository
from services.ingest.domain.fetching import FetchFailure, next_attempt
from services.ingest.domain.mapping import ADAPTERS
from services.ingest.domain.platforms import PLATFORMS
from services.ingest.metrics import FETCHES
from services.ingest.models import Source
from services.ingest.platform_api import base_url_problem
from services.ingest.service import Intake

log = logging.getLogger("lazo.ingest.fetcher")


@dataclass(frozen=True)
class _Claimed:
    id: int
    source_id: str
    key: str
    event: str
    attempts: int


class FetchWorker(LeasedWorker):
    name = "webhook-fetcher"

    def __init__(
        self,
        uow: UnitsOfWork,
        intake: Intake,
        *,
        egress: Egress,
        max_bytes: int,
        timeout_s: float = 10.0,
        concurrency: int = 8,
        poll_s: float = 1.0,
    ):
        super().__init__(
            concurrency=concurrency,
            poll_s=poll_s,
            timeout_s=timeout_s,
            user_agent="lazo-ingest/1",
            egress=egress,
            max_bytes=max_bytes,
        )
        self._uow = uow
        self._intake = intake
        self._lease = timedelta(seconds=4 * timeout_s + 10)  # two GETs, each with its timeout, and slack
        self._surveys = platform_api.survey_cache()
        intake.on_fetch_job = self.notify

    async def claim(self, limit: int) -> list[_Claimed]:
        now = utcnow()
        async with self._uow() as tx:
            jobs = await repository.claim_fetch_jobs(
                tx.session, now=now, until=now + self._lease, limit=limit, skip_locked=is_postgres(tx.session.bind)
            )
            return [_Claimed(j.id, j.source_id, j.delivery_key, j.event, j.attempts) for j in jobs]

    async def work(self, job: _Claimed) -> None:
        async with self._uow.read() as s:
            source = await queries.source_of(s, job.source_id)
        event = json.loads(job.event)
        if source is None:
            return
        if source.deleted_at is not None:
            await self._intake.give_up_fetch(source, job.id, job.key, event, "the source was deleted")
            return
        try:
            document = await self._fetch(source, event)
        except FetchFailure as failure:
            await self._failed(source, job, event, failure)
            return
        FETCHES.labels(source.platform, "fetched").inc()
        await self._intake.settle(source, {"event": event, **document}, job.key, job_id=job.id, delivered=False)

    async def _fetch(self, source: Source, event: Any) -> dict[str, Any]:
        assert self._client is not None
        ids = ADAPTERS[source.platform].fetch_ids(event)
        if ids is None:
            raise FetchFailure(400, "the event names no survey and response id")
        try:
            credentials = self._intake.box.open(source.credentials_sealed)
        except SealError as exc:
            raise FetchFailure(401, str(exc)) from None
        base = source.api_base_url or PLATFORMS[source.platform].api_base_url or ""
        problem = base_url_problem(PLATFORMS[source.platform], base, self._egress)
        if problem:  # a source stored before these rules, or a setting changed since: never called
            raise FetchFailure(400, f"the source's api_base_url is refused: {problem}; fix the source, then replay")
        survey_id, response_id = ids
        if source.platform == "surveymonkey":
            return await platform_api.fetch_surveymonkey(
                self._client, base, credentials, survey_id, response_id, self._surveys
            )
        return await platform_api.fetch_qualtrics(self._client, base, credentials, survey_id, response_id)

    async def _failed(self, source: Source, job: _Claimed, event: Any, failure: FetchFailure) -> None:
        attempt = job.attempts + 1
        when = next_attempt(failure, attempt, utcnow())
        if when is None:
            FETCHES.labels(source.platform, "gave_up").inc()
            log.warning(
                "fetch for %s response %s gave up after %d attempt(s): %s", source.id, job.key, attempt, failure
            )
            await self._intake.give_up_fetch(
                source, job.id, job.key, event, f"fetch failed after {attempt} attempt(s): {failure}"
            )
            return
        FETCHES.labels(source.platform, "retry").inc()
        log.info(
            "fetch for %s response %s failed (%s); attempt %d at %s",
            source.id,
            job.key,
            failure,
            attempt + 1,
            when.isoformat(),
        )
        async with self._uow() as tx:
            await repository.retry_fetch_job(tx.session, job.id, attempts=attempt, at=when, error=str(failure))
