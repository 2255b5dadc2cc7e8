"""The schedule: an even, stable spread; due moments always inside the customer's local window
(across daylight-saving changes); late planning never in the past; the daily cap deterministic,
deferring to the next day and suppressing only what the period's end leaves."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.surveys.domain.periods import parse_period, period_of
from services.surveys.domain.plans import SurveyPlan
from services.surveys.domain.rules import SEND, Decision, Reason
from services.surveys.domain.schedule import (
    Deferred,
    DueInvitation,
    Suppressed,
    due_on,
    expiry_at,
    moment_from,
    nominal_day,
    reminder_at,
    schedule,
    send_dates,
)
from services.surveys.domain.windows import local_window

UTC = UTC
LINK = "https://forms.example.com/iec?t={token}"
NOVEMBER = parse_period("monthly", "2026-11")
DST_ZONES = ["Europe/Madrid", "America/Santiago", "America/New_York"]
ODD_ZONES = [
    "Australia/Lord_Howe",
    "Antarctica/Troll",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
]


def plan(**over) -> SurveyPlan:
    return SurveyPlan(**{"program": "default", "link_template": LINK, **over})


class Row(NamedTuple):
    """A contact as the service reads it back for planning (any object with these attributes will do)."""

    customer_id: str
    time_zone: str | None
    customer_since: date | None = None
    next_renewal: date | None = None


def contact(i: int | str, zone: str | None = "Europe/Madrid", **over) -> Row:
    return Row(f"C-{i}" if isinstance(i, int) else i, zone, over.get("since"), over.get("renewal"))


def wall(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def assert_inside_window(p: SurveyPlan, moment: datetime, zone: str, day: date | None = None) -> None:
    local = wall(moment, zone)
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert p.window_start <= local.time().replace(tzinfo=None) < p.window_end, (local, p.window_start, p.window_end)
    assert local.isoweekday() in p.send_days
    if day is not None:
        assert local.date() == day


# -- the spread ----------------------------------------------------------------------------------


def test_the_spread_is_even_over_a_month_and_tighter_the_more_customers():
    p = plan()
    for customers, tolerance in ((10_000, 0.20), (300_000, 0.03)):
        days = Counter(nominal_day(p, contact(i), NOVEMBER) for i in range(customers))
        expected = customers / 30
        assert set(days) == set(NOVEMBER.dates())
        assert max(abs(n - expected) / expected for n in days.values()) < tolerance
        # and no worse than chance: chi-square with 29 degrees of freedom, far below the 0.001 critical value
        assert sum((n - expected) ** 2 / expected for n in days.values()) < 58.3


def test_the_spread_within_the_window_is_even_too():
    p = plan(window_start="09:00", window_end="18:00")
    hours = Counter(wall(schedule(p, contact(i), NOVEMBER).due_at, "Europe/Madrid").hour for i in range(9_000))
    assert set(hours) == set(range(9, 18))
    assert max(abs(n - 1000) for n in hours.values()) < 150


def test_weekdays_only_spreads_over_the_weekdays():
    p = plan(send_days=["mon", "tue", "wed", "thu", "fri"])
    days = Counter(nominal_day(p, contact(i), NOVEMBER) for i in range(21_000))
    assert set(days) == set(send_dates(NOVEMBER, p.send_days)) and len(days) == 21
    assert all(d.isoweekday() <= 5 for d in days)


def test_the_spread_is_stable_and_differs_between_programmes():
    a, b = plan(program="relationship"), plan(program="onboarding")
    first = [schedule(a, contact(i), NOVEMBER) for i in range(300)]
    assert first == [schedule(a, contact(i), NOVEMBER) for i in range(300)]
    same_day = sum(schedule(b, contact(i), NOVEMBER).day == s.day for i, s in enumerate(first))
    assert same_day < 40  # chance alone: ~10 of 300


def test_the_period_key_follows_the_cadence():
    assert schedule(plan(), contact(1), NOVEMBER).period_key == "2026-11"
    week = period_of("weekly", date(2026, 11, 20))
    assert schedule(plan(cadence="weekly"), contact(1), week).period_key == "2026-W47"
    quarter = period_of("quarterly", date(2026, 11, 20))
    assert schedule(plan(cadence="quarterly"), contact(1), quarter).day in quarter


# -- the window, across time zones and daylight-saving changes ----------------------------------

windows = st.integers(0, 23 * 60 + 44).flatmap(
    lambda start: st.tuples(st.just(start), st.integers(start + 15, 24 * 60 - 1))
)


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(DST_ZONES + ODD_ZONES),
    month=st.dates(date(2020, 1, 1), date(2035, 12, 1)),
    window=windows,
    days=st.sets(st.integers(1, 7), min_size=1),
    customer=st.text(min_size=1, max_size=20),
    cadence=st.sampled_from(["weekly", "monthly", "quarterly"]),
)
def test_a_due_moment_is_always_inside_the_local_window_on_an_allowed_day(zone, month, window, days, customer, cadence):
    start, end = window
    p = plan(
        cadence=cadence,
        window_start=time(start // 60, start % 60),
        window_end=time(end // 60, end % 60),
        send_days=sorted(days),
    )
    period = period_of(cadence, month)
    scheduled = schedule(p, contact(customer, zone), period)
    assert scheduled.day in period and scheduled.day.isoweekday() in days
    assert_inside_window(p, scheduled.due_at, zone)
    # On its day, unless the window vanished into a clock jump that day (then the next allowed day).
    assert wall(scheduled.due_at, zone).date() >= scheduled.day
    assert (wall(scheduled.due_at, zone).date() - scheduled.day).days < 8


def transition_days(zone: str, year: int) -> list[date]:
    tz, out = ZoneInfo(zone), []
    day = date(year, 1, 1)
    while day.year == year:
        a = datetime.combine(day, time(0), tzinfo=UTC).astimezone(tz).utcoffset()
        b = datetime.combine(day + timedelta(days=1), time(12), tzinfo=UTC).astimezone(tz).utcoffset()
        if a != b:
            out.append(day)
        day += timedelta(days=1)
    return out


@pytest.mark.parametrize("zone", DST_ZONES)
def test_windows_around_every_clock_change_of_2026_hold(zone):
    changes = transition_days(zone, 2026)
    assert len(changes) >= 2
    for change in changes:
        for day in (change - timedelta(days=1), change, change + timedelta(days=1)):
            for start_hour in range(0, 23):
                for length in (1, 2, 3):
                    end = min(start_hour + length, 23)
                    p = plan(window_start=time(start_hour), window_end=time(end, 59 if end == 23 else 0))
                    for i in range(40):  # 40 customers' places in the window
                        moment = moment_from(p, zone, day, i / 40)
                        assert_inside_window(p, moment, zone)
                        if local_window(zone, day, p.window_start, p.window_end).seconds:
                            assert wall(moment, zone).date() == day
                        else:  # the whole window fell into the jump (Madrid 02:00–03:00 in March)
                            assert wall(moment, zone).date() == day + timedelta(days=1)
                            assert (p.window_start.hour, p.window_end.hour) == (2, 3) or zone != "Europe/Madrid"


def test_a_window_start_that_does_not_exist_begins_when_the_clocks_jump():
    # Madrid, 2026-03-29: 02:00 becomes 03:00. A 02:00–04:00 window there is 03:00–04:00.
    p = plan(window_start="02:00", window_end="04:00")
    moments = [moment_from(p, "Europe/Madrid", date(2026, 3, 29), f / 100) for f in range(100)]
    assert min(moments) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, the first instant after the jump
    assert all(3 <= wall(m, "Europe/Madrid").hour < 4 for m in moments)


def test_a_window_that_exists_twice_uses_both_occurrences():
    # New York, 2026-11-01: 01:00–02:00 happens twice (EDT, then EST): two real hours of window.
    p = plan(window_start="01:00", window_end="02:00")
    moments = sorted(moment_from(p, "America/New_York", date(2026, 11, 1), f / 100) for f in range(100))
    assert moments[0] == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    assert moments[-1] >= datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # well into 01:xx EST
    assert {wall(m, "America/New_York").fold for m in moments} == {0, 1}
    assert all(wall(m, "America/New_York").hour == 1 for m in moments)


def test_santiago_midnight_does_not_exist_on_its_spring_forward_day():
    # Chile, 2026-09-06: 00:00 becomes 01:00. A window from midnight starts at 01:00 there.
    p = plan(window_start="00:00", window_end="02:00")
    moments = [moment_from(p, "America/Santiago", date(2026, 9, 6), f / 50) for f in range(50)]
    assert all(wall(m, "America/Santiago").date() == date(2026, 9, 6) for m in moments)
    assert all(1 <= wall(m, "America/Santiago").hour < 2 for m in moments)


def test_a_window_swallowed_by_the_jump_moves_to_the_next_allowed_day_in_the_same_period():
    p = plan(window_start="02:00", window_end="02:30")
    march = parse_period("monthly", "2026-03")
    hit = next(c for c in (contact(i) for i in range(10_000)) if nominal_day(p, c, march) == date(2026, 3, 29))
    scheduled = schedule(p, hit, march)
    assert scheduled.day == date(2026, 3, 29) and scheduled.period_key == "2026-03"
    assert wall(scheduled.due_at, "Europe/Madrid").date() == date(2026, 3, 30)
    assert_inside_window(p, scheduled.due_at, "Europe/Madrid")


def test_without_a_zone_the_plan_default_applies():
    p = plan(default_time_zone="America/Santiago")
    scheduled = schedule(p, contact(7, zone=None), NOVEMBER)
    assert scheduled.time_zone == "America/Santiago"
    assert_inside_window(p, scheduled.due_at, "America/Santiago", scheduled.day)


# -- the clock: late planning -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    customer=st.integers(0, 10**6),
    zone=st.sampled_from(DST_ZONES + ["Asia/Tokyo"]),
    now=st.datetimes(datetime(2026, 11, 1), datetime(2026, 11, 30, 23), timezones=st.just(UTC)),
)
def test_a_due_moment_is_never_before_now_and_still_inside_the_window(customer, zone, now):
    p = plan(send_days="mon,tue,wed,thu,fri")
    scheduled = schedule(p, contact(customer, zone), NOVEMBER, now=now)
    assert scheduled.due_at >= now
    assert_inside_window(p, scheduled.due_at, zone)
    on_time = schedule(p, contact(customer, zone), NOVEMBER)
    if on_time.due_at >= now:
        assert scheduled.due_at == on_time.due_at  # the clock only matters when it is late


def test_planned_late_inside_the_window_goes_now():
    p = plan()
    c = contact(3, "UTC")
    on_time = schedule(p, c, NOVEMBER)
    day_end = datetime.combine(on_time.day, time(17, 59), tzinfo=UTC)
    assert schedule(p, c, NOVEMBER, now=day_end).due_at == day_end


# -- lifecycle anchors -------------------------------------------------------------------------------


def test_thirty_days_after_joining():
    p = plan(anchor="30 days after customer_since")
    joined = contact(1, since=date(2026, 10, 15))
    scheduled = schedule(p, joined, NOVEMBER)
    assert scheduled.day == date(2026, 11, 14)
    assert_inside_window(p, scheduled.due_at, "Europe/Madrid", date(2026, 11, 14))
    assert schedule(p, joined, parse_period("monthly", "2026-10")) is None
    assert schedule(p, joined, parse_period("monthly", "2026-12")) is None
    assert schedule(p, contact(2), NOVEMBER) is None  # no joining date, no anchored invitation


def test_sixty_days_before_renewal_on_the_next_weekday():
    p = plan(anchor="60 days before next_renewal", send_days="mon,tue,wed,thu,fri")
    renewing = contact(1, renewal=date(2027, 1, 3))  # minus 60 days: Wednesday 2026-11-04
    assert schedule(p, renewing, NOVEMBER).day == date(2026, 11, 4)
    weekend = contact(2, renewal=date(2027, 1, 6))  # minus 60: Saturday 2026-11-07 → Monday the 9th
    assert schedule(p, weekend, NOVEMBER).day == date(2026, 11, 9)


def test_an_anchor_shifted_over_the_period_end_belongs_to_the_next_period_only():
    p = plan(anchor="0 days after customer_since", send_days="mon,tue,wed,thu,fri")
    c = contact(1, since=date(2026, 10, 31))  # a Saturday: Monday 2026-11-02
    assert schedule(p, c, parse_period("monthly", "2026-10")) is None
    assert schedule(p, c, NOVEMBER).day == date(2026, 11, 2)


# -- reminder and expiry -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    customer=st.integers(0, 10**6),
    zone=st.sampled_from(DST_ZONES),
    sent=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    remind=st.integers(1, 10),
    weekdays=st.booleans(),
)
def test_the_reminder_falls_in_the_window_after_n_days_and_before_expiry(customer, zone, sent, remind, weekdays):
    p = plan(
        reminder_after_days=remind,
        expire_after_days=remind + 4,
        send_days="mon,tue,wed,thu,fri" if weekdays else "mon,tue,wed,thu,fri,sat,sun",
    )
    scheduled = schedule(p, contact(customer, zone), period_of("monthly", sent.date()))
    at = reminder_at(p, scheduled, sent)
    assert expiry_at(p, sent) == sent + timedelta(days=remind + 4)
    if at is not None:
        assert sent + timedelta(days=remind) <= at < expiry_at(p, sent)
        assert_inside_window(p, at, zone)
    else:
        assert weekdays  # only a run of disallowed days can push it past expiry


def test_no_reminder_when_the_plan_has_none():
    p = plan(reminder_after_days=None)
    scheduled = schedule(p, contact(1), NOVEMBER)
    assert reminder_at(p, scheduled, scheduled.due_at) is None


# -- the day's run under the daily cap ---------------------------------------------------------------


def run_month(p: SurveyPlan, customers: list[Row], shuffle: random.Random | None = None):
    """Plan every day of November as the service would: each day, the contacts not yet invited."""
    invited: dict[str, date] = {}
    capped: dict[str, Reason] = {}
    per_day: Counter = Counter()
    for day in NOVEMBER.dates():
        waiting = [c for c in customers if c.customer_id not in invited and c.customer_id not in capped]
        if shuffle:
            shuffle.shuffle(waiting)
        for item in due_on(p, waiting, day):
            if isinstance(item, DueInvitation):
                invited[item.contact.customer_id] = day
                per_day[day] += 1
                assert item.scheduled.day <= day and item.scheduled.period_key == "2026-11"
                assert_inside_window(p, item.scheduled.due_at, item.scheduled.time_zone, day)
            elif isinstance(item, Suppressed):
                capped[item.contact.customer_id] = item.reason
    return invited, capped, per_day


def test_without_a_cap_everyone_goes_on_their_own_day():
    p = plan()
    customers = [contact(i) for i in range(600)]
    invited, capped, _ = run_month(p, customers)
    assert not capped
    assert invited == {c.customer_id: nominal_day(p, c, NOVEMBER) for c in customers}


def test_the_cap_defers_to_the_next_day_and_loses_nobody():
    p = plan(daily_cap=25)
    customers = [contact(i) for i in range(600)]  # 20 a day on average: peaks over 25 spill over
    invited, capped, per_day = run_month(p, customers)
    assert max(per_day.values()) <= 25
    assert set(invited) | set(capped) == {c.customer_id for c in customers}
    late = [c for c in customers if c.customer_id in invited and invited[c.customer_id] > nominal_day(p, c, NOVEMBER)]
    assert late  # some waited …
    assert all(invited[c.customer_id] >= nominal_day(p, c, NOVEMBER) for c in customers if c.customer_id in invited)
    assert set(capped.values()) <= {Reason.DAILY_CAP}


def test_what_the_period_end_leaves_is_suppressed_with_the_reason_daily_cap():
    p = plan(daily_cap=10)
    customers = [contact(i) for i in range(600)]  # 300 places in the month for 600 customers
    invited, capped, per_day = run_month(p, customers)
    assert len(invited) == 300 and len(capped) == 300
    assert set(capped.values()) == {Reason.DAILY_CAP}


def test_the_cap_picks_the_same_contacts_however_they_are_streamed():
    p = plan(daily_cap=25)
    customers = [contact(i) for i in range(600)]
    reference = run_month(p, customers)
    for seed in range(3):
        assert run_month(p, customers, random.Random(seed)) == reference


@given(st.permutations(list(range(80))), st.integers(0, 12))
def test_one_day_under_the_cap_is_order_independent(order, already):
    p = plan(daily_cap=12)
    day = date(2026, 11, 20)
    customers = [contact(i) for i in order]
    chosen = [
        i.contact.customer_id for i in due_on(p, customers, day, already_today=already) if isinstance(i, DueInvitation)
    ]
    reference = [
        i.contact.customer_id
        for i in due_on(p, sorted(customers, key=lambda c: c.customer_id), day, already_today=already)
        if isinstance(i, DueInvitation)
    ]
    assert chosen == reference and len(chosen) == min(12 - already, len(chosen) + 0)
    eligible = [c for c in customers if nominal_day(p, c, NOVEMBER) <= day]
    assert len(chosen) == min(max(12 - already, 0), len(eligible))


def test_deferred_ones_go_before_the_days_own():
    p = plan(daily_cap=1)
    customers = [contact(i) for i in range(200)]
    day = date(2026, 11, 20)
    items = list(due_on(p, customers, day))
    [due] = [i for i in items if isinstance(i, DueInvitation)]
    earliest = min(nominal_day(p, c, NOVEMBER) for c in customers)
    assert due.scheduled.day == earliest
    assert all(isinstance(i, Deferred) for i in items if i is not due)


def test_contact_rules_run_before_the_cap_and_take_no_place():
    p = plan(daily_cap=5)
    customers = [contact(i) for i in range(300)]
    day = date(2026, 11, 30)

    def decide(c) -> Decision:
        return Decision(Reason.UNSUBSCRIBED) if int(c.customer_id[2:]) % 2 else SEND

    items = list(due_on(p, customers, day, decide=decide))
    due = [i for i in items if isinstance(i, DueInvitation)]
    unsubscribed = [i for i in items if isinstance(i, Suppressed) and i.reason is Reason.UNSUBSCRIBED]
    assert len(due) == 5 and all(int(i.contact.customer_id[2:]) % 2 == 0 for i in due)
    assert len(unsubscribed) == 150


def test_nothing_is_due_on_a_day_the_plan_does_not_send():
    p = plan(send_days="mon,tue,wed,thu,fri")
    assert list(due_on(p, [contact(i) for i in range(100)], date(2026, 11, 21))) == []  # a Saturday


def test_a_late_run_is_never_in_the_past():
    p = plan()
    day = date(2026, 11, 20)
    now = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 17:00 in Madrid: most of the window has gone
    items = [i for i in due_on(p, [contact(i) for i in range(400)], day, now=now) if isinstance(i, DueInvitation)]
    assert items and all(i.scheduled.due_at >= now for i in items)
    for item in items:
        assert_inside_window(p, item.scheduled.due_at, "Europe/Madrid")
