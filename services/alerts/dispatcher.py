"""Push delivery: a background worker that POSTs due deliveries to contact centers.

Delivery rows are written in the consumer's transaction (handlers.take_scores); this worker
only reads and updates them, so a slow or dead endpoint never holds up the pipeline, and a
restart loses nothing: whatever is still pending is picked up again.

Claiming a delivery pushes its `next_attempt_at` one lease ahead (PostgreSQL: rows locked with
SKIP LOCKED, so replicas share the work). A process that dies mid-request leaves the lease
to expire and the delivery is tried again: pushes are at-least-once, receivers deduplicate on
the CloudEvent id.

A chat subscription (`slack`, `teams`) gets its message as plain JSON, signed only if it was given
a secret (neither platform checks it); everything else is the same.

Every POST goes through the outbound client (shared.outbound): a target that is or resolves to a
refused address fails at once, for good, with the reason in the delivery log and nothing sent;
redirects are not followed (a 3xx is a failed attempt); the answer is read to 64 KiB at most.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from shared.db import is_postgres
from shared.egress import Egress
from shared.events import utcnow
from shared.jobs import LeasedWorker
from shared.outbound import RefusedTarget
from shared.sealing import SealError, SecretBox
from shared.uow import UnitsOfWork
from services.alerts import repository
from services.alerts.domain.chat import CLOUDEVENTS
from services.alerts.domain.retry import RetryPolicy
from services.alerts.domain.signing import HEADER, signature_header
from services.alerts.models import DeliveryStatus

log = logging.getLogger("lazo.alerts.dispatcher")

CONTENT_TYPE = "application/cloudevents+json"
CHAT_CONTENT_TYPE = "application/json"  # Slack's incoming webhooks and Teams workflows take plain JSON
# A receiver's answer matters only by its status; a little is read so the connection can be reused.
ANSWER_BYTES = 64 << 10


@dataclass(frozen=True)
class _Due:
    id: int
    subscription_id: str
    url: str
    secret_sealed: str
    format: str
    body: bytes
    attempt: int  # 1-based number of this attempt
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float
    permanent: bool = False  # no retry can help (a refused target): the delivery fails now

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher(LeasedWorker):
    name = "delivery-dispatcher"

    def __init__(
        self,
        uow: UnitsOfWork,
        policy: RetryPolicy,
        box: SecretBox,
        *,
        timeout_s: float,
        egress: Egress,
        concurrency: int = 16,
    ):
        # Without a wake-up, look for due retries at least this often.
        super().__init__(
            concurrency=concurrency,
            poll_s=min(1.0, policy.base_s),
            timeout_s=timeout_s,
            user_agent="lazo-alerts/1",
            egress=egress,
            max_bytes=ANSWER_BYTES,
        )
        self._uow = uow
        self._box = box
        self._policy = policy
        # One slow endpoint may hold only a share of the slots: the others keep being served.
        self._per_subscription = max(1, concurrency // 4)
        self._busy: Counter[str] = Counter()
        # A claimed delivery is not claimed again before its request surely ended.
        self._lease = timedelta(seconds=2 * timeout_s + 5)

    async def start(self) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # every attempt is recorded in the database
        await super().start()

    def started(self, item: _Due) -> None:
        self._busy[item.subscription_id] += 1

    def finished(self, item: _Due) -> None:
        self._busy[item.subscription_id] -= 1
        if self._busy[item.subscription_id] <= 0:
            del self._busy[item.subscription_id]

    async def claim(self, limit: int) -> list[_Due]:
        now = utcnow()
        saturated = [sub for sub, n in self._busy.items() if n >= self._per_subscription]
        async with self._uow() as tx:
            due = await repository.due_deliveries(
                tx.session, now=now, limit=limit, excluding=saturated, skip_locked=is_postgres(tx.session.bind)
            )
            taken: list[_Due] = []
            room = Counter({sub: self._per_subscription - n for sub, n in self._busy.items()})
            for delivery, url, sealed, fmt in due:
                if room.setdefault(delivery.subscription_id, self._per_subscription) <= 0:
                    continue  # left for a later round, unleased
                room[delivery.subscription_id] -= 1
                delivery.next_attempt_at = now + self._lease
                taken.append(
                    _Due(
                        delivery.id,
                        delivery.subscription_id,
                        url,
                        sealed,
                        fmt,
                        delivery.body,
                        delivery.attempt_count + 1,
                        delivery.created_at,
                    )
                )
            return taken

    async def post(self, url: str, secret: str | None, body: bytes, content_type: str = CONTENT_TYPE) -> Outcome:
        """One POST, signed when there is a secret; never raises for what the endpoint or the network does."""
        assert self._client is not None
        headers = {"content-type": content_type}
        if secret is not None:
            headers[HEADER] = signature_header(secret, body, int(time.time()))
        start = time.perf_counter()
        permanent = False
        try:
            reply = await self._client.request("POST", url, content=body, headers=headers)
            code, error = reply.status_code, None
            if 300 <= code < 400:
                error = f"HTTP {code}: redirects are not followed"
            elif not reply.ok:
                error = f"HTTP {code}"
        except RefusedTarget as exc:
            code, error, permanent = None, str(exc)[:500], True
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            code, error = None, f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:500]
        return Outcome(code, error, round((time.perf_counter() - start) * 1000, 1), permanent)

    def _open(self, item: _Due) -> tuple[bool, str | None]:
        """(opened, the secret: None for a chat subscription created without one)."""
        try:
            return True, self._box.open(item.secret_sealed)["secret"]
        except (SealError, KeyError, ValueError):
            return False, None

    async def work(self, item: _Due) -> None:
        opened, secret = self._open(item)
        if not opened or (secret is None and item.format == CLOUDEVENTS):
            # retried: the operator may yet restart with the right key
            outcome = Outcome(None, "the subscription's secret cannot be opened with LAZO_SECRETS_KEY", 0.0)
        else:
            outcome = await self.post(
                item.url, secret, item.body, CONTENT_TYPE if item.format == CLOUDEVENTS else CHAT_CONTENT_TYPE
            )
        now = utcnow()
        next_at = (
            None if outcome.ok or outcome.permanent else self._policy.next_attempt(item.attempt, item.created_at, now)
        )
        status = (
            DeliveryStatus.DELIVERED if outcome.ok else DeliveryStatus.PENDING if next_at else DeliveryStatus.FAILED
        )
        try:
            async with self._uow() as tx:
                recorded = await repository.record_attempt(
                    tx.session,
                    item.id,
                    status=status,
                    attempt=item.attempt,
                    at=now,
                    next_at=next_at,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                )
            if not recorded:
                return  # cancelled meanwhile
        except Exception as exc:  # the lease expires and the delivery is tried again
            log.warning("could not record delivery %s: %s", item.id, exc)
            return
        if status == DeliveryStatus.FAILED:
            log.warning(
                "delivery %s of subscription %s failed for good after %d attempt(s): %s",
                item.id,
                item.subscription_id,
                item.attempt,
                outcome.error,
            )
