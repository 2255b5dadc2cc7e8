"""Topics -> use cases: alerts open or feed cases, scores may confirm them, outcomes are recorded.

One consumer group (`casework`) over the three topics. Each batch is one transaction: the inbox
rows (redelivered events are skipped), the cases, their outbox events and the outcomes commit
together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.contracts.alerts import AlertRaised
from shared.contracts.outcomes import OutcomeRecorded
from shared.contracts.scores import ScoreComputed
from shared.db import transaction
from shared.events import Envelope, EventType, Topic, utcnow
from shared.runtime import Runtime
from shared.tombstones import Action, ErasureGuard
from services.casework import outcomes, service
from services.casework.models import messaging

GROUP = "casework"
TOPICS = (Topic.ALERTS, Topic.SCORES, Topic.OUTCOMES)
ALERT_TYPES = (EventType.ALERT_RAISED, EventType.ALERT_HELD_OUT)


class CaseworkConsumer:
    def __init__(self, runtime: Runtime, guard: ErasureGuard):
        self._runtime = runtime
        self._guard = guard

    async def handle(self, envelopes: Sequence[Envelope]) -> None:
        # Parsed before the transaction: a poison event fails the batch before anything is written.
        earliest = self._runtime.settings.submitted_at_earliest
        parsed = [(env, _parse(env, earliest)) for env in envelopes]
        async with transaction(self._runtime.sessions) as session:
            erased = await self._guard.erased(session, {c for env, data in parsed for c in _customers(env, data)})
            fresh = {env.id for env in await messaging.unseen(session, envelopes)}
            recorded: list[tuple[Envelope, OutcomeRecorded]] = []
            late: list[Envelope] = []
            for env, data in parsed:
                if data is None:
                    continue  # not ours (lazo.score.rejected, newer types)
                if isinstance(data, OutcomeRecorded):
                    # Outcomes are state, last report wins: each is applied in order even when its event
                    # id was seen before, so a correction undone (A, B, then A again: A's id) ends as A.
                    # The upsert is idempotent, so a redelivery changes nothing.
                    if _customers(env, data) & erased:
                        if env.id in fresh:
                            late.append(env)
                        continue
                    recorded.append((env, data))  # stored together: one upsert per batch
                    continue
                if env.id not in fresh:
                    continue  # seen before
                if _customers(env, data) & erased:
                    # A customer erased meanwhile: no case opened or fed, no confirmation, no outcome.
                    late.append(env)
                    continue
                fresh.discard(env.id)  # the same event twice in one batch is applied once
                now = utcnow()
                if isinstance(data, AlertRaised):
                    held_out = env.type == EventType.ALERT_HELD_OUT or data.control_group
                    await service.take_alert(session, data, held_out=held_out, now=now)
                else:
                    await service.take_follow_up(session, data, now=now)
            await self._guard.record(session, late, Action.DROPPED)
            await outcomes.store(session, recorded, now=utcnow())
        self._runtime.notify_outbox()


def _parse(env: Envelope, earliest: date) -> AlertRaised | ScoreComputed | OutcomeRecorded | None:
    if env.type in ALERT_TYPES:
        return env.parse(AlertRaised)
    if env.type == EventType.SCORE_COMPUTED:
        return env.parse(ScoreComputed)
    if env.type == EventType.OUTCOME_RECORDED:
        return outcomes.parse(env, earliest=earliest)
    return None


def _customers(env: Envelope, data: AlertRaised | ScoreComputed | OutcomeRecorded | None) -> set[str]:
    """Whom the event is about: its key, and the customer its data names (a CRM may differ)."""
    return {env.subject, data.customer_id} if data is not None else set()
