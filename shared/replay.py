"""Replaying or discarding a dead letter (shared.deadletters), once its cause is gone.

- A consumer's dead letter runs again through that consumer's own handler, in this process: the
  handler's inbox decides, so a replay applies the event at most once however often it is asked.
- An outbox row set aside is published again (say the broker's limit, or LAZO_MAX_EVENT_BYTES,
  was raised meanwhile); a republished event has its old id, so consumers' inboxes absorb repeats.

A replay that fails leaves the letter as it was, with the attempt counted and the new error.
"""

from __future__ import annotations

from typing import Any

from shared.db import transaction
from shared.deadletters import error_text
from shared.errors import Conflict, InvalidInput, NotFound, Unavailable
from shared.events import decode
from shared.metrics import DEAD_LETTER_REPLAYS
from shared.publishing import Verdict, classify
from shared.transient import is_retriable


class ReplayFailed(InvalidInput):
    """The dead letter failed again: the cause is still there."""


async def find(runtime: Any, letter_id: str) -> Any:
    store = _store(runtime)
    async with runtime.sessions() as session:
        letter = await session.get(store.model, letter_id)
    if letter is None:
        raise NotFound(f"no dead letter '{letter_id}'")
    return letter


async def replay(runtime: Any, letter_id: str, who: str) -> Any:
    """Replay one dead letter; the letter afterwards. Conflict for a discarded one, ReplayFailed
    (422) when it fails again, Unavailable (503) when a dependency is away."""
    letter = await find(runtime, letter_id)
    if letter.status == "discarded":
        raise Conflict(f"dead letter '{letter_id}' was discarded")
    if letter.original is None:
        raise Conflict(f"dead letter '{letter_id}' holds no event any more (its customer was erased)")
    try:
        if letter.kind == "consumer":
            await _rerun(runtime, letter)
        else:
            await _republish(runtime, letter)
    except (NotFound, Conflict):
        raise
    except Exception as exc:
        verdict = classify(exc)  # a broker's refusal first: is_retriable counts every KafkaError
        transient = verdict is Verdict.TRANSIENT or (verdict is Verdict.UNCLEAR and is_retriable(exc))
        await _settle(runtime, letter_id, status=letter.status, who=None, attempted=True, error=exc)
        DEAD_LETTER_REPLAYS.labels(runtime.service, letter.kind, "unavailable" if transient else "failed").inc()
        error_class, error = error_text(exc)
        if transient:
            raise Unavailable(f"replay could not run now ({error_class}); retry shortly") from None
        raise ReplayFailed(
            f"the event still fails: {error_class}: {error}", dead_letter=letter_id, error_class=error_class
        ) from None
    await _settle(runtime, letter_id, status="replayed", who=who, attempted=True)
    DEAD_LETTER_REPLAYS.labels(runtime.service, letter.kind, "replayed").inc()
    return await find(runtime, letter_id)


async def discard(runtime: Any, letter_id: str, who: str) -> Any:
    """Give up on a pending dead letter (it stays listed as discarded); Conflict once replayed."""
    letter = await find(runtime, letter_id)
    if letter.status == "replayed":
        raise Conflict(f"dead letter '{letter_id}' was replayed already")
    if letter.status == "pending":
        await _settle(runtime, letter_id, status="discarded", who=who, attempted=False)
    return await find(runtime, letter_id)


async def _rerun(runtime: Any, letter: Any) -> None:
    runner = runtime.consumer(letter.consumer_group)
    if runner is None:
        raise Conflict(f"this service has no consumer group '{letter.consumer_group}' to replay it through")
    await runner.handle([decode(letter.original)])  # one unit of work: its commit wakes the relay


async def _republish(runtime: Any, letter: Any) -> None:
    publisher = runtime.publisher
    problem = publisher.refusal(letter.topic, letter.key, letter.original)
    if problem is not None:
        raise problem
    [exc] = await publisher.deliver([(letter.topic, letter.key, letter.original)])
    if exc is not None:
        raise exc


async def _settle(runtime: Any, letter_id: str, **outcome: Any) -> None:
    async with transaction(runtime.sessions) as session:
        await _store(runtime).settle(session, letter_id, **outcome)


def _store(runtime: Any):
    if runtime.dead_letters is None or runtime.sessions is None:
        raise Unavailable("this service keeps no dead letters")
    return runtime.dead_letters
