"""Topics -> use cases: alerts open or feed cases, scores may confirm them, outcomes are recorded.

One consumer group (`casework`) over the three topics. Each batch is one transaction: the inbox
rows (redelivered events are skipped), the cases, their outbox events and the outcomes commit
together.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        parsed = [(env, _parse(env)) for env in envelopes]
        async with transaction(self._runtime.sessions) as session:
            erased = await self._guard.erased(session, {c for env, data in parsed for c in _customers(env, data)})
            fresh = {env.id for env in await messaging.unseen(session, envelopes)}
            recorded: list[tuple[Envelope, OutcomeRecorded]] = []
            late: list[Envelope] = []
            for env, data in parsed:
                if env.id not in fresh or data is None:
                    continue  # seen before, or not ours (lazo.score.rejected, newer types)
                if _customers(env, data) & erased:
                    # A customer erased meanwhile: no case opened or fed, no confirmation, no outcome.
                    late.append(env)
                    continue
                fresh.discard(env.id)  # the same event twice in one batch is applied once
                now = utcnow()
                if isinstance(data, AlertRaised):
                    held_out = env.type == EventType.ALERT_HELD_OUT or data.control_group
                    await service.take_alert(session, data, held_out=held_out, now=now)
                elif isinstance(data, ScoreComputed):
                    await service.take_follow_up(session, data, now=now)
                else:
                    recorded.append((env, data))  # stored together: one upsert per batch
            await self._guard.record(session, late, Action.DROPPED)
            await outcomes.store(session, recorded, now=utcnow())
        self._runtime.notify_outbox()


def _parse(env: Envelope) -> AlertRaised | ScoreComputed | OutcomeRecorded | None:
    if env.type in ALERT_TYPES:
        return env.parse(AlertRaised)
    if env.type == EventType.SCORE_COMPUTED:
        return env.parse(ScoreComputed)
    if env.type == EventType.OUTCOME_RECORDED:
        return outcomes.parse(env)
    return None


def _customers(env: Envelope, data: AlertRaised | ScoreComputed | OutcomeRecorded | None) -> set[str]:
    """Whom the event is about: its key, and the customer its data names (a CRM may differ)."""
    return {env.subject, data.customer_id} if data is not None else set()
