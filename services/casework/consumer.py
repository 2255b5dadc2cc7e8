"""Topics -> use cases: alerts open or feed cases, scores may confirm them, outcomes are recorded.

One consumer group (`casework`) over the three topics. Each batch is one transaction: the inbox
rows (redelivered events are skipped), the cases, their outbox events and the outcomes commit
together.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.alerts import AlertRaised
from shared.contracts.scores import ScoreComputed
from shared.db import transaction
from shared.events import Envelope, EventType, Topic, utcnow
from shared.runtime import Runtime
from services.casework import outcomes, service
from services.casework.models import messaging

GROUP = "casework"
TOPICS = (Topic.ALERTS, Topic.SCORES, Topic.OUTCOMES)
ALERT_TYPES = (EventType.ALERT_RAISED, EventType.ALERT_HELD_OUT)


class CaseworkConsumer:
    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    async def handle(self, envelopes: Sequence[Envelope]) -> None:
        async with transaction(self._runtime.sessions) as session:
            # Outcomes are state, last report wins: each is applied in order even when its event id
            # was seen before, so a correction undone (A, B, then A again: A's id) ends as A. The
            # upsert is idempotent, so a redelivery changes nothing.
            earliest = self._runtime.settings.submitted_at_earliest
            recorded = [(env, outcomes.parse(env, earliest=earliest))
                        for env in envelopes if env.type == EventType.OUTCOME_RECORDED]
            for env in await messaging.unseen(session, envelopes):
                now = utcnow()
                if env.type in ALERT_TYPES:
                    alert = env.parse(AlertRaised)
                    held_out = env.type == EventType.ALERT_HELD_OUT or alert.control_group
                    await service.take_alert(session, alert, held_out=held_out, now=now)
                elif env.type == EventType.SCORE_COMPUTED:
                    await service.take_follow_up(session, env.parse(ScoreComputed), now=now)
                # Outcomes: above. Anything else on these topics (lazo.score.rejected, newer types) is not ours.
            await outcomes.store(session, recorded, now=utcnow())
        self._runtime.notify_outbox()
