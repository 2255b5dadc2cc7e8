"""Topics -> use cases: alerts open or feed cases, scores may confirm them.

One consumer group (`casework`) over both topics. Each batch is one transaction: the inbox
rows (redelivered events are skipped), the cases and their outbox events commit together.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.alerts import AlertRaised
from shared.contracts.scores import ScoreComputed
from shared.db import transaction
from shared.events import Envelope, EventType, Topic, utcnow
from shared.runtime import Runtime
from services.casework import service
from services.casework.models import messaging

GROUP = "casework"
TOPICS = (Topic.ALERTS, Topic.SCORES)
ALERT_TYPES = (EventType.ALERT_RAISED, EventType.ALERT_HELD_OUT)


class CaseworkConsumer:
    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    async def handle(self, envelopes: Sequence[Envelope]) -> None:
        async with transaction(self._runtime.sessions) as session:
            for env in await messaging.unseen(session, envelopes):
                now = utcnow()
                if env.type in ALERT_TYPES:
                    alert = env.parse(AlertRaised)
                    held_out = env.type == EventType.ALERT_HELD_OUT or alert.control_group
                    await service.take_alert(session, alert, held_out=held_out, now=now)
                elif env.type == EventType.SCORE_COMPUTED:
                    await service.take_follow_up(session, env.parse(ScoreComputed), now=now)
                # Anything else on these topics (lazo.score.rejected, newer types) is not ours.
        self._runtime.notify_outbox()
