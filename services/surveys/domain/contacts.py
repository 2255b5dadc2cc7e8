"""A contact: someone the planner may survey, with what they consented to and their lifecycle dates.

Every field is bounded and checked here, so the API, the CSV import and the CRM topic refuse the
same things with the same messages (each naming its field). Decisions where the method is silent:
- `consent` absent means every channel (surveys to existing customers run on legitimate interest,
  with one-click unsubscribe as the opt-out); given (even empty), it is exactly those channels.
- `locale` and `time_zone` may be absent: the plan's defaults apply.
- `attributes` are flat (a CRM's segmentation columns): scalars only, bounded in count and size.
For trusted rows read back from the service's own tables, `Contact.model_construct(...)` skips the
checks (the planner's hot path must stay cheap).
"""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_serializer, field_validator
from pydantic_core import PydanticCustomError

from services.surveys.domain.text import clean_line

MAX_ID = 200
MAX_NAME = 200
MAX_EMAIL = 254  # RFC 5321: the longest path an SMTP server has to accept
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_TEXT = 1000
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


class Channel(StrEnum):
    """How an invitation reaches the customer (a plan's channel; a contact's consent and bounces)."""

    EMAIL = "email"
    WEBHOOK = "webhook"  # the company's own sending tool, called with a signed webhook
    EVENT_ONLY = "event_only"  # only the `lazo.survey.due` event: someone else sends


ALL_CHANNELS = frozenset(Channel)
DEFAULT_CONSENT = ALL_CHANNELS
_CHANNEL_ALIASES = {
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "correo": Channel.EMAIL,
    "event": Channel.EVENT_ONLY,
    "events": Channel.EVENT_ONLY,
    "event-only": Channel.EVENT_ONLY,
}
Locale = Literal["es", "en"]
_LOCALE_NAMES = {
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "english": "en",
    "inglés": "en",
    "ingles": "en",
}


def fail(message: str) -> PydanticCustomError:
    """A validation error whose message reads as written (no "Value error, " prefix)."""
    return PydanticCustomError("invalid", message)


# -- single values, usable on their own --------------------------------------------------------


def parse_channels(value: Any) -> frozenset[Channel]:
    """'email;webhook', 'email|webhook', ['email'], 'all', 'none' → a set of channels."""
    if isinstance(value, (set, frozenset, list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in ("all", "*"):
            return ALL_CHANNELS
        if text in ("", "none", "-"):
            return frozenset()
        items = [part for part in re.split(r"[;|,\s]+", text) if part]
    else:
        raise fail("must be a list of channels (email, webhook, event_only)")
    channels = set()
    for item in items[:10]:
        key = str(item).strip().lower()
        try:
            channels.add(_CHANNEL_ALIASES.get(key) or Channel(key))
        except ValueError:
            raise fail(f"unknown channel '{key[:40]}' (email, webhook, event_only)") from None
    if len(items) > 10:
        raise fail("too many channels")
    return frozenset(channels)


def parse_locale(value: Any) -> Locale:
    """'es', 'ES', 'es-ES', 'en_US', 'Spanish' → 'es' | 'en'."""
    if not isinstance(value, str):
        raise fail("must be 'es' or 'en'")
    text = value.strip().lower()
    primary = _LOCALE_NAMES.get(text) or re.split(r"[-_]", text, maxsplit=1)[0]
    if primary not in ("es", "en"):
        raise fail(f"'{value[:40]}' is not a supported locale (es, en)")
    return primary  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_time_zone(value: Any) -> str:
    """An IANA time zone name in its canonical spelling ('europe/madrid' → 'Europe/Madrid')."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise fail("must be an IANA time zone name such as 'Europe/Madrid'")
    name = _zones_by_lower_name().get(value.strip().lower())
    if name is None:
        raise fail(f"'{value.strip()[:64]}' is not an IANA time zone (e.g. 'Europe/Madrid', 'America/Santiago')")
    return name


_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LOCAL_ASCII = re.compile(rf"^[{_ATEXT}]+(\.[{_ATEXT}]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_email(value: Any) -> str:
    """An address an SMTP server will take: dot-atom local part (UTF-8 letters allowed), a DNS domain.

    The domain is lowercased (it is case-insensitive); the local part is kept as given. Quoted
    local parts and IP-literal domains are refused: legal in RFC 5321, unused by real customers.
    """
    if not isinstance(value, str):
        raise fail("must be an email address")
    address = value.strip()
    if not address or len(address) > MAX_EMAIL:
        raise fail(f"must be an email address of at most {MAX_EMAIL} characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise fail("must be an email address such as 'ana@example.com'")
    if len(local.encode()) > 64:
        raise fail("the part before '@' is longer than 64 bytes")
    ascii_local = "".join(c if c.isascii() else ("a" if c.isalnum() else " ") for c in local)
    if not _LOCAL_ASCII.match(ascii_local):
        raise fail("the part before '@' has characters an address cannot hold")
    try:
        ascii_domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise fail("the domain is not a valid domain name") from None
    labels = ascii_domain.split(".")
    if (
        len(ascii_domain) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise fail("the domain is not a valid domain name (such as 'example.com')")
    return f"{local}@{domain.lower()}"


def parse_day(value: Any) -> date:
    """A calendar date from a date, a datetime (its own date) or ISO text ('2026-11-20[T…]')."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str) and 8 <= len(value.strip()) <= 40:
        text = value.strip()
        try:
            day = date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(_z(text)).date()
        except ValueError:
            raise fail(f"'{text}' is not an ISO date such as 2026-11-20") from None
    else:
        raise fail("must be an ISO date such as 2026-11-20")
    if not EARLIEST <= day <= LATEST:
        raise fail(f"must be between {EARLIEST} and {LATEST}")
    return day


def parse_moment(value: Any) -> datetime:
    """An aware instant from ISO text or a datetime; no offset means UTC; a bare date is its midnight UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and 8 <= len(value.strip()) <= 40:
        try:
            moment = datetime.fromisoformat(_z(value.strip()))
        except ValueError:
            raise fail(f"'{value.strip()}' is not an ISO date-time such as 2026-11-20T10:00:00Z") from None
    else:
        raise fail("must be an ISO date-time such as 2026-11-20T10:00:00Z")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Checked on the local date first: converting a year-1 instant to UTC can overflow.
    if not EARLIEST <= moment.date() <= LATEST or not EARLIEST <= moment.astimezone(UTC).date() <= LATEST:
        raise fail(f"must be between {EARLIEST} and {LATEST}")
    return moment.astimezone(UTC)


def _z(text: str) -> str:
    return text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text


def parse_attributes(value: Any) -> dict[str, str | int | float | bool | None]:
    if not isinstance(value, dict):
        raise fail("must be an object of names to values")
    if len(value) > MAX_ATTRIBUTES:
        raise fail(f"at most {MAX_ATTRIBUTES} attributes")
    out: dict[str, str | int | float | bool | None] = {}
    for key, item in value.items():
        try:
            name = clean_line(key, max_length=MAX_ATTRIBUTE_KEY)
        except ValueError as exc:
            raise fail(f"attribute name '{str(key)[:40]}': {exc}") from None
        if isinstance(item, str):
            try:
                item = clean_line(item, max_length=MAX_ATTRIBUTE_TEXT, min_length=0)
            except ValueError as exc:
                raise fail(f"attribute '{name}': {exc}") from None
        elif isinstance(item, float) and not math.isfinite(item):
            raise fail(f"attribute '{name}': must be a finite number")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**53:
            raise fail(f"attribute '{name}': integer out of range")
        elif item is not None and not isinstance(item, (bool, int, float)):
            raise fail(f"attribute '{name}': must be text, a number, true/false or null (attributes are flat)")
        out[name] = item
    return out


# -- the contact -------------------------------------------------------------------------------


class Contact(BaseModel):
    """One person the planner may survey (upserted by customer_id)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "C-42",
                    "email": "ana@example.com",
                    "name": "Ana",
                    "locale": "es",
                    "time_zone": "Europe/Madrid",
                    "consent": ["email"],
                    "customer_since": "2024-03-01",
                    "next_renewal": "2027-03-01",
                    "attributes": {"plan": "pro"},
                }
            ]
        },
    )

    customer_id: str = Field(min_length=1, max_length=MAX_ID)
    email: str | None = Field(None, max_length=MAX_EMAIL)
    name: str | None = Field(None, max_length=MAX_NAME)
    locale: Locale | None = None
    time_zone: str | None = Field(None, max_length=64)
    consent: frozenset[Channel] = DEFAULT_CONSENT
    customer_since: date | None = None
    next_renewal: date | None = None
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    unsubscribed_at: datetime | None = None
    bounced: frozenset[Channel] = frozenset()

    @field_validator("customer_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return _line(value, MAX_ID)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str | None:
        return None if value is None or (isinstance(value, str) and not value.strip()) else _line(value, MAX_NAME)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        return None if value is None or (isinstance(value, str) and not value.strip()) else parse_email(value)

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> str | None:
        return None if value is None or value == "" else parse_locale(value)

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> str | None:
        return None if value is None or value == "" else parse_time_zone(value)

    @field_validator("consent", "bounced", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> frozenset[Channel]:
        return parse_channels(value)

    @field_validator("customer_since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> date | None:
        return None if value is None or value == "" else parse_day(value)

    @field_validator("next_renewal", mode="before")
    @classmethod
    def _renewal(cls, value: Any, info: ValidationInfo) -> date | None:
        if value is None or value == "":
            return None
        day = parse_day(value)
        since = info.data.get("customer_since")
        if since is not None and day < since:
            raise fail(f"{day} is before customer_since ({since})")
        return day

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes(cls, value: Any) -> dict:
        return {} if value is None else parse_attributes(value)

    @field_validator("unsubscribed_at", mode="before")
    @classmethod
    def _unsubscribed(cls, value: Any) -> datetime | None:
        return None if value is None or value == "" else parse_moment(value)

    @field_serializer("consent", "bounced")
    def _sorted(self, channels: frozenset[Channel]) -> list[str]:
        return sorted(channels)  # a stable order in API answers and events


def _line(value: Any, max_length: int) -> str:
    try:
        return clean_line(value, max_length=max_length)
    except ValueError as exc:
        raise fail(str(exc)) from None
