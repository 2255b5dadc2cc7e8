"""When each contact's invitation is due, and which invitations are due on a given day.

The spread: sha256("<program>:<customer_id>") picks the customer's day among the period's allowed
dates (first 8 bytes, modulo their count) and the moment within that day's window (next 8 bytes,
as a fraction of the window's real length). Stable (same customer, same programme, same period →
same moment) and even as far as chance allows: each customer lands independently, so a day's count
varies by about 1/√(customers per day) — ±5% for 10,000 customers over 30 days, ±1% for 300,000,
which is when evenness matters for load. Programmes differ, so one customer's surveys from two
programmes do not pile on one day. A lifecycle anchor replaces the day; the moment is spread the same.

The clock is always passed in. A due moment is never before `now`: an invitation planned late (a
planner that was down, a contact added mid-period) goes out at the next moment inside its window.

The daily cap (`due_on`): among the contacts that are due on a day or earlier in the period and not
yet invited, the earliest-due first (then by hash), so the order is the same however the contacts
are streamed; what the cap leaves waits for the next allowed day and goes first then; what is left
after the period's last allowed day is suppressed with the reason `daily_cap`, never dropped silently.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from hashlib import sha256
from typing import Protocol

from services.surveys.domain.periods import Period, period_of
from services.surveys.domain.plans import AnchorDate, SurveyPlan
from services.surveys.domain.rules import Decision, Reason
from services.surveys.domain.windows import local_date, local_window

_SEARCH_DAYS = 15  # the next allowed day with a non-empty window is always within this reach
_TWO_64 = float(2**64)


class Schedulable(Protocol):
    """What scheduling reads from a contact (a Contact, or a row of the service's table)."""

    customer_id: str
    time_zone: str | None
    customer_since: date | None
    next_renewal: date | None


@dataclass(frozen=True, slots=True)
class Spread:
    day_hash: int  # picks the day
    fraction: float  # where in the window, 0 ≤ f < 1
    rank: int  # total order among customers (the whole digest)


def spread(program: str, customer_id: str) -> Spread:
    digest = sha256(f"{program}:{customer_id}".encode()).digest()
    return Spread(
        int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:16], "big") / _TWO_64, int.from_bytes(digest, "big")
    )


@dataclass(frozen=True, slots=True)
class Scheduled:
    """One customer's invitation in one period: the day it is due and the moment (aware UTC)."""

    program: str
    customer_id: str
    period_key: str
    day: date  # the local date the spread (or anchor) gives
    due_at: datetime
    time_zone: str
    fraction: float


@lru_cache(maxsize=1024)
def send_dates(period: Period, send_days: tuple[int, ...]) -> tuple[date, ...]:
    """The period's dates that fall on an allowed weekday."""
    return tuple(d for d in period.dates() if d.isoweekday() in send_days)


def zone_of(plan: SurveyPlan, contact: Schedulable) -> str:
    return contact.time_zone or plan.default_time_zone


def nominal_day(plan: SurveyPlan, contact: Schedulable, period: Period, spread_: Spread | None = None) -> date | None:
    """The local date the contact's invitation is due in `period`; None when it has none there."""
    if plan.anchor is None:
        dates = send_dates(period, plan.send_days)
        if not dates:
            return None
        spread_ = spread_ or spread(plan.program, contact.customer_id)
        return dates[spread_.day_hash % len(dates)]
    anchor = contact.customer_since if plan.anchor.date is AnchorDate.CUSTOMER_SINCE else contact.next_renewal
    if anchor is None:
        return None
    try:
        day = anchor + timedelta(days=plan.anchor.offset_days)
    except OverflowError:
        return None
    while day.isoweekday() not in plan.send_days:
        day += timedelta(days=1)
    return day if day in period else None


def moment_from(
    plan: SurveyPlan, zone: str, day: date, fraction: float, not_before: datetime | None = None
) -> datetime | None:
    """The contact's moment in the window of `day`, or of the next allowed day that has one.

    With `not_before`, the first such moment at or after it (`not_before` itself when it falls
    inside a window whose spread moment has already passed).
    """
    if not_before is not None:
        day = max(day, local_date(zone, not_before))
    for _ in range(_SEARCH_DAYS):
        if day.isoweekday() in plan.send_days:
            window = local_window(zone, day, plan.window_start, plan.window_end)
            moment = window.moment(fraction)
            if moment is not None:
                if not_before is None or moment >= not_before:
                    return moment
                if not_before in window:
                    return not_before
        day += timedelta(days=1)
    return None


def schedule(
    plan: SurveyPlan, contact: Schedulable, period: Period, *, now: datetime | None = None
) -> Scheduled | None:
    """The contact's invitation for `period`, due inside their window (never before `now`); None if none."""
    spread_ = spread(plan.program, contact.customer_id)
    day = nominal_day(plan, contact, period, spread_)
    if day is None:
        return None
    zone = zone_of(plan, contact)
    due = moment_from(plan, zone, day, spread_.fraction, now)
    if due is None:
        return None
    return Scheduled(plan.program, contact.customer_id, period.key, day, due, zone, spread_.fraction)


def reminder_at(plan: SurveyPlan, scheduled: Scheduled, sent_at: datetime) -> datetime | None:
    """When to remind: inside the window, at least `reminder_after_days` after sending, before expiry."""
    if plan.reminder_after_days is None:
        return None
    earliest = sent_at + timedelta(days=plan.reminder_after_days)
    moment = moment_from(
        plan, scheduled.time_zone, local_date(scheduled.time_zone, earliest), scheduled.fraction, earliest
    )
    return moment if moment is not None and moment < expiry_at(plan, sent_at) else None


def expiry_at(plan: SurveyPlan, sent_at: datetime) -> datetime:
    """When the invitation (and its token) expires: `expire_after_days` after it went out."""
    return sent_at + timedelta(days=plan.expire_after_days)


# -- the day's run under the daily cap -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueInvitation:
    contact: Schedulable
    scheduled: Scheduled  # `day` is the nominal day; `due_at` falls on the run's day (or later, late runs)


@dataclass(frozen=True, slots=True)
class Deferred:
    """Due, but over the day's cap: it goes first on the next allowed day."""

    contact: Schedulable
    period_key: str
    day: date


@dataclass(frozen=True, slots=True)
class Suppressed:
    contact: Schedulable
    period_key: str
    reason: Reason
    detail: str = ""


RunItem = DueInvitation | Deferred | Suppressed


def due_on(
    plan: SurveyPlan,
    contacts: Iterable[Schedulable],
    day: date,
    *,
    now: datetime | None = None,
    already_today: int = 0,
    decide: Callable[[Schedulable], Decision] | None = None,
) -> Iterator[RunItem]:
    """The invitations due on the local date `day`, under the plan's daily cap.

    `contacts`: the programme's contacts that have no invitation yet for the period of `day`
    (streamed in any order). `already_today`: invitations this plan already sent or planned for
    `day` (they count against the cap). `decide`: the contact rules, applied before the cap so a
    suppressed contact takes no place. Memory: at most `daily_cap` contacts are held.
    """
    if day.isoweekday() not in plan.send_days:
        return
    period = period_of(plan.cadence, day)
    dates = send_dates(period, plan.send_days)
    last_day = day >= dates[-1]
    room = None if plan.daily_cap is None else max(plan.daily_cap - already_today, 0)
    held: list[tuple[int, int, int, Schedulable, date, Spread]] = []  # a max-heap by (nominal day, rank)
    for seq, contact in enumerate(contacts):
        spread_ = spread(plan.program, contact.customer_id)
        nominal = nominal_day(plan, contact, period, spread_)
        if nominal is None or nominal > day:
            continue
        if decide is not None:
            decision = decide(contact)
            if not decision.send:
                yield Suppressed(contact, period.key, decision.reason, decision.detail)
                continue
        if room is None:
            yield _due(plan, contact, period, nominal, day, spread_, now)
            continue
        item = (-nominal.toordinal(), -spread_.rank, seq, contact, nominal, spread_)
        if len(held) < room:
            heapq.heappush(held, item)
            continue
        if held and (item[0], item[1]) > (held[0][0], held[0][1]):
            item = heapq.heapreplace(held, item)  # the new one is earlier-due: the latest held waits
        yield _over_cap(period, item[3], item[4], last_day, plan.daily_cap)
    for item in sorted(held, reverse=True):
        yield _due(plan, item[3], period, item[4], day, item[5], now)


def _due(
    plan: SurveyPlan,
    contact: Schedulable,
    period: Period,
    nominal: date,
    day: date,
    spread_: Spread,
    now: datetime | None,
) -> DueInvitation:
    zone = zone_of(plan, contact)
    due = moment_from(plan, zone, day, spread_.fraction, now)
    if due is None:  # unreachable: a window of 15 minutes or more is empty on one day at most
        raise RuntimeError("no sending window found")
    return DueInvitation(
        contact, Scheduled(plan.program, contact.customer_id, period.key, nominal, due, zone, spread_.fraction)
    )


def _over_cap(period: Period, contact: Schedulable, nominal: date, last_day: bool, cap: int | None) -> RunItem:
    if last_day:
        return Suppressed(
            contact, period.key, Reason.DAILY_CAP, f"the daily cap ({cap}) left no room before the period ended"
        )
    return Deferred(contact, period.key, nominal)
