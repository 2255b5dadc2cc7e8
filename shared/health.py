"""When a relay or a consumer counts as stuck: the rules /readyz and /metrics apply, without I/O.

Both rules look at how long nothing moved, never at how much is waiting: a burst fills the outbox
and the partitions for a while, but rows keep leaving and batches keep committing, so a burst does
not make a service unready; only work that stopped moving for longer than the threshold does.
"""

from __future__ import annotations


def outbox_stuck(oldest_age_s: float, after_s: float) -> bool:
    """The oldest unpublished row has waited longer than `after_s`."""
    return oldest_age_s > after_s


def consumer_stall(
    now: float,
    *,
    running: bool,
    waiting_on: str | None,
    busy_since: float | None,
    behind: int,
    progress_at: float,
    after_s: float,
) -> str | None:
    """Why a consumer counts as stalled, or None. Times are monotonic seconds.

    - not connected to the broker (it reconnects by itself meanwhile);
    - waiting for a dependency (database, broker) before it can apply a batch;
    - one batch in progress for longer than `after_s` (a handler that hangs);
    - records waiting (`behind` > 0) and no batch committed for longer than `after_s`.
    """
    if not running:
        return "not connected to the broker"
    if waiting_on:
        return f"waiting for a dependency ({waiting_on})"
    if busy_since is not None and now - busy_since > after_s:
        return f"one batch in progress for {now - busy_since:.0f}s"
    if behind > 0 and now - progress_at > after_s:
        return f"{behind} records behind and no progress for {now - progress_at:.0f}s"
    return None
