"""A programme's survey plan: when its invitations go out, to whom, and how.

- `cadence` (monthly by default; weekly, quarterly): one invitation per customer and period.
- Each customer's day in the period comes from a stable hash (see `schedule`), so sends are even.
- `window_start`–`window_end`: the sending window in the customer's local time; `send_days` the
  weekdays it may fall on (all seven by default).
- `anchor`: a lifecycle trigger instead of the spread — "30 days after customer_since",
  "60 days before next_renewal": the invitation is due that day (the next allowed weekday).
- `daily_cap`: at most this many invitations per local calendar date; the rest wait their turn.
- `link_template`: the form's https link with `{token}`; `reminder_after_days`, `expire_after_days`.
- `channel`: email (Lazo sends), webhook (the company's tool sends), event_only.
Validation messages name the field.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.surveys.domain.contacts import Channel, Locale, fail, parse_locale, parse_time_zone
from services.surveys.domain.periods import Cadence
from services.surveys.domain.tokens import check_link_template

PROGRAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # as every other service names programmes
MIN_WINDOW_MINUTES = 15
MAX_DAILY_CAP = 10_000_000
ALL_DAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO weekdays, Monday = 1
_DAY_NAMES = {
    name: i + 1
    for names in (
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("lun", "mar", "mie", "jue", "vie", "sab", "dom"),
        ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"),
    )
    for i, name in enumerate(names)
}
_DAY_NAMES.update({"miércoles": 3, "sábado": 6})


class AnchorDate(StrEnum):
    CUSTOMER_SINCE = "customer_since"
    NEXT_RENEWAL = "next_renewal"


_ANCHOR_WORDS = {
    "customer_since": AnchorDate.CUSTOMER_SINCE,
    "joining": AnchorDate.CUSTOMER_SINCE,
    "joined": AnchorDate.CUSTOMER_SINCE,
    "signup": AnchorDate.CUSTOMER_SINCE,
    "next_renewal": AnchorDate.NEXT_RENEWAL,
    "renewal": AnchorDate.NEXT_RENEWAL,
}
_ANCHOR_TEXT = re.compile(r"^\s*(\d{1,4})\s+days?\s+(after|before)\s+([a-z_]+)\s*$", re.IGNORECASE)


class LifecycleAnchor(BaseModel):
    """`days` `direction` the contact's `date`: {"date": "next_renewal", "days": 60, "direction": "before"}.

    Also accepted as text: "30 days after joining", "60 days before renewal".
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: AnchorDate
    days: int = Field(ge=0, le=3650)
    direction: Literal["after", "before"] = "after"

    @property
    def offset_days(self) -> int:
        return self.days if self.direction == "after" else -self.days

    def __str__(self) -> str:
        return f"{self.days} days {self.direction} {self.date}"


class SurveyPlan(BaseModel):
    """One programme's plan (`PUT /v1/programs/{program}/survey-plan` in the service)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program": "default",
                    "cadence": "monthly",
                    "window_start": "09:00",
                    "window_end": "18:00",
                    "send_days": ["mon", "tue", "wed", "thu", "fri"],
                    "daily_cap": 5000,
                    "link_template": "https://forms.example.com/iec?t={token}",
                    "reminder_after_days": 3,
                    "expire_after_days": 14,
                    "channel": "email",
                }
            ]
        },
    )

    program: str = Field(min_length=1, max_length=64, pattern=PROGRAM_PATTERN)
    cadence: Cadence = Cadence.MONTHLY
    window_start: time = time(9, 0)
    window_end: time = time(18, 0)
    send_days: tuple[int, ...] = ALL_DAYS
    anchor: LifecycleAnchor | None = None
    daily_cap: int | None = Field(None, ge=1, le=MAX_DAILY_CAP)
    link_template: str = Field(max_length=1000)
    expire_after_days: int = Field(14, ge=1, le=180)
    reminder_after_days: int | None = Field(3, ge=1, le=179)
    channel: Channel = Channel.EMAIL
    default_time_zone: str = "UTC"
    default_locale: Locale = "es"

    @field_validator("window_start", "window_end", mode="before")
    @classmethod
    def _wall_time(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
            hour, minute, *second = (int(p) for p in value.strip().split(":"))
            if hour > 23 or minute > 59 or (second and second[0] > 59):
                raise fail(f"'{value.strip()}' is not a time of day (00:00–23:59)")
            return time(hour, minute, *second)
        if isinstance(value, time):
            return value
        raise fail("must be a local time of day such as '09:00'")

    @field_validator("window_start", "window_end")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise fail("is a local time in the customer's zone: give it without an offset")
        return value.replace(microsecond=0)

    @field_validator("window_end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("window_start")
        if start is not None:
            minutes = (value.hour * 60 + value.minute) - (start.hour * 60 + start.minute)
            if value <= start or minutes < MIN_WINDOW_MINUTES:
                raise fail(f"must be at least {MIN_WINDOW_MINUTES} minutes after window_start ({start:%H:%M})")
        return value

    @field_validator("send_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            value = [p for p in re.split(r"[,;\s]+", value) if p]
        if not isinstance(value, (list, tuple, set, frozenset)) or not value or len(value) > 7:
            raise fail("must list 1–7 weekdays, e.g. ['mon', 'tue', 'wed', 'thu', 'fri']")
        days = set()
        for item in value:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item.strip())
            if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 7:
                days.add(item)
            elif isinstance(item, str) and item.strip().lower() in _DAY_NAMES:
                days.add(_DAY_NAMES[item.strip().lower()])
            else:
                raise fail(f"'{str(item)[:20]}' is not a weekday (mon … sun, or 1–7 with Monday = 1)")
        return tuple(sorted(days))

    @field_validator("anchor", mode="before")
    @classmethod
    def _anchor_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _ANCHOR_TEXT.match(value)
        if not match or match[3].lower() not in _ANCHOR_WORDS:
            raise fail("must read like '30 days after customer_since' or '60 days before next_renewal'")
        return {"date": _ANCHOR_WORDS[match[3].lower()], "days": int(match[1]), "direction": match[2].lower()}

    @field_validator("link_template", mode="before")
    @classmethod
    def _link(cls, value: Any) -> str:
        try:
            return check_link_template(value)
        except ValueError as exc:
            raise fail(str(exc)) from None

    @field_validator("reminder_after_days")
    @classmethod
    def _before_expiry(cls, value: int | None, info: ValidationInfo) -> int | None:
        expire = info.data.get("expire_after_days")
        if value is not None and expire is not None and value >= expire:
            raise fail(f"must be fewer days than expire_after_days ({expire}): a reminder after expiry is useless")
        return value

    @field_validator("default_time_zone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> str:
        return parse_time_zone(value)

    @field_validator("default_locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> str:
        return parse_locale(value)

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> Any:
        return value.strip().lower().replace("-", "_") if isinstance(value, str) else value
