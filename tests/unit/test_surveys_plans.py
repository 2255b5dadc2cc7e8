"""Survey plans (every refusal names its field; the link template must carry {token}) and periods."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.surveys.domain.contacts import Channel
from services.surveys.domain.periods import Cadence, parse_period, period_of
from services.surveys.domain.plans import AnchorDate, SurveyPlan

LINK = "https://forms.example.com/iec?t={token}"


def plan(**over) -> SurveyPlan:
    return SurveyPlan(**{"program": "default", "link_template": LINK, **over})


def fields_at_fault(**over) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        plan(**over)
    return {str(e["loc"][0]) for e in caught.value.errors()}


def test_defaults():
    p = plan()
    assert p.cadence is Cadence.MONTHLY and p.channel is Channel.EMAIL
    assert (p.window_start, p.window_end) == (time(9), time(18))
    assert p.send_days == (1, 2, 3, 4, 5, 6, 7) and p.daily_cap is None and p.anchor is None
    assert (p.reminder_after_days, p.expire_after_days) == (3, 14)


def test_friendly_spellings():
    p = plan(
        cadence="weekly",
        window_start="8:30",
        window_end="20:00",
        send_days="lun, mar, miércoles, thu, 5",
        anchor="60 days before renewal",
        channel="event-only",
        default_time_zone="america/santiago",
        default_locale="en-GB",
        reminder_after_days=None,
    )
    assert p.send_days == (1, 2, 3, 4, 5) and p.window_start == time(8, 30)
    assert p.anchor.date is AnchorDate.NEXT_RENEWAL and p.anchor.offset_days == -60
    assert p.channel is Channel.EVENT_ONLY and p.default_time_zone == "America/Santiago"
    assert p.default_locale == "en" and p.reminder_after_days is None
    assert plan(anchor={"date": "customer_since", "days": 30}).anchor.offset_days == 30
    assert str(plan(anchor="30 days after joining").anchor) == "30 days after customer_since"


@pytest.mark.parametrize(
    "template",
    [
        "https://forms.example.com/iec",  # no token
        "https://forms.example.com/iec?t={Token}",
        "http://forms.example.com/iec?t={token}",  # not https
        "javascript:alert(1)//{token}",
        "https:///iec?t={token}",  # no host
        "https://{token}.example.com/",  # the token in the host
        "https://user:pass@forms.example.com/?t={token}",  # credentials
        "https://forms.example.com/?t={token}&e={email}",  # personal data placeholders do not exist
        "https://forms.example.com/?t={token}&x={0.__class__}",
        "https://forms.example.com/?t={token}}",
        "https://forms.example.com/ iec?t={token}",
        "https://forms.example.com/?t={token}\r\nX: y",
        "https://forms.example.com/?t={token}&pad=" + "x" * 1000,
        "",
    ],
)
def test_a_bad_link_template_is_refused_on_link_template(template):
    assert fields_at_fault(link_template=template) == {"link_template"}


def test_link_template_missing_the_token_says_so():
    with pytest.raises(ValidationError) as caught:
        plan(link_template="https://forms.example.com/iec")
    assert "{token}" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    "over,field",
    [
        ({"window_start": "18:00", "window_end": "09:00"}, "window_end"),
        ({"window_start": "09:00", "window_end": "09:10"}, "window_end"),
        ({"window_start": "25:00"}, "window_start"),
        ({"window_end": "noon"}, "window_end"),
        ({"send_days": []}, "send_days"),
        ({"send_days": ["funday"]}, "send_days"),
        ({"send_days": [0]}, "send_days"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"reminder_after_days": 14, "expire_after_days": 14}, "reminder_after_days"),
        ({"expire_after_days": 0}, "expire_after_days"),
        ({"expire_after_days": 1000}, "expire_after_days"),
        ({"anchor": "when they feel like it"}, "anchor"),
        ({"anchor": {"date": "birthday", "days": 3}}, "anchor"),
        ({"anchor": {"date": "next_renewal", "days": -5}}, "anchor"),
        ({"channel": "pigeon"}, "channel"),
        ({"cadence": "daily"}, "cadence"),
        ({"default_time_zone": "Europe/Atlantis"}, "default_time_zone"),
        ({"default_locale": "de"}, "default_locale"),
        ({"program": "../x"}, "program"),
        ({"program": "x" * 65}, "program"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(over, field):
    assert fields_at_fault(**over) == {field}


# -- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cadence,day,key,start,end",
    [
        ("monthly", date(2026, 11, 20), "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("monthly", date(2026, 12, 31), "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("monthly", date(2028, 2, 29), "2028-02", date(2028, 2, 1), date(2028, 3, 1)),
        ("weekly", date(2026, 11, 20), "2026-W47", date(2026, 11, 16), date(2026, 11, 23)),
        ("weekly", date(2027, 1, 2), "2026-W53", date(2026, 12, 28), date(2027, 1, 4)),  # ISO year
        ("quarterly", date(2026, 11, 20), "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("quarterly", date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
    ],
)
def test_period_keys(cadence, day, key, start, end):
    period = period_of(cadence, day)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert parse_period(cadence, key) == period


@given(st.sampled_from(list(Cadence)), st.dates(date(1901, 1, 1), date(2099, 12, 1)))
def test_every_date_is_in_exactly_its_period_and_keys_round_trip(cadence, day):
    period = period_of(cadence, day)
    assert day in period and period.start <= day < period.end
    assert parse_period(cadence, period.key) == period
    assert period.next().start == period.end and period.previous().end == period.start
    assert day not in period.next() and day not in period.previous()


@pytest.mark.parametrize(
    "cadence,key",
    [
        ("monthly", "2026-13"),
        ("monthly", "2026-W01"),
        ("weekly", "2026-W54"),
        ("weekly", "2025-W53"),
        ("quarterly", "2026-Q5"),
        ("monthly", "1800-01"),
        ("monthly", "x" * 100),
        ("quarterly", "2026-Q0"),
    ],
)
def test_a_bad_period_key_is_refused_with_an_example(cadence, key):
    with pytest.raises(ValueError, match="e.g."):
        parse_period(cadence, key)
