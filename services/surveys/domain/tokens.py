"""Invitation tokens: signed, expiring and opaque; and the survey link built around one.

A token is base64url (no padding) of

    version (1 byte) · expiry (5 bytes, Unix seconds, big-endian) · invitation id (ASCII) · tag (32 bytes)

where the tag is HMAC-SHA256 under a server key over a purpose label and the rest. It carries no
personal data: the invitation id is a random identifier that only the planner can resolve. The
purpose label keeps an invitation token from working as an unsubscribe token and back.

Keys rotate: `TokenKeys` holds the keys newest first; tokens are minted with the newest and
verified against each (constant-time comparisons), so old links keep working until the key that
signed them is retired. The signature is checked before anything inside the token is believed:
expiry is reported only for authentic tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote, urlsplit

from services.surveys.domain.text import line_problem

VERSION = 1
TAG_BYTES = 32
MIN_KEY_BYTES = 32
MAX_KEYS = 8
MAX_TOKEN_CHARS = 200
MAX_TEMPLATE = 1000
MAX_LINK = 2048
INVITATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
_EXPIRY_MAX = 2**40 - 1


class Purpose(StrEnum):
    INVITATION = "invitation"
    UNSUBSCRIBE = "unsubscribe"


class TokenError(ValueError):
    reason = "invalid"


class TokenMalformed(TokenError):
    """Not a token at all: wrong characters, length, encoding or version."""

    reason = "malformed"


class TokenTampered(TokenError):
    """Well formed, but no current key signed it for this purpose (altered, forged, or its key retired)."""

    reason = "tampered"


class TokenExpired(TokenError):
    """Authentic, and past its expiry: which invitation it was for is known and may be reported."""

    reason = "expired"

    def __init__(self, invitation_id: str, expired_at: datetime):
        super().__init__(f"the token for invitation {invitation_id} expired at {expired_at.isoformat()}")
        self.invitation_id = invitation_id
        self.expired_at = expired_at


@dataclass(frozen=True, slots=True)
class TokenClaims:
    invitation_id: str
    expires_at: datetime


class TokenKeys:
    """The server's signing keys, newest first (the first signs; all verify)."""

    def __init__(self, keys: Sequence[str | bytes]):
        if isinstance(keys, (str, bytes)):
            raise TypeError("give a list of keys, newest first")
        material = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
        if not material or len(material) > MAX_KEYS:
            raise ValueError(f"between 1 and {MAX_KEYS} token keys are needed")
        if any(len(k) < MIN_KEY_BYTES for k in material):
            raise ValueError(f"every token key must be at least {MIN_KEY_BYTES} bytes")
        self._keys = tuple(material)

    @property
    def signing(self) -> bytes:
        return self._keys[0]

    def __iter__(self):
        return iter(self._keys)

    def __repr__(self) -> str:  # never show key material in logs or tracebacks
        return f"TokenKeys(<{len(self._keys)} keys>)"


def _tag(key: bytes, purpose: Purpose, body: bytes) -> bytes:
    return hmac.new(key, b"lazo-token:" + purpose.value.encode() + b"\x00" + body, hashlib.sha256).digest()


def mint(keys: TokenKeys, invitation_id: str, expires_at: datetime, *, purpose: Purpose = Purpose.INVITATION) -> str:
    """A token for `invitation_id`, valid until `expires_at` (aware; whole seconds)."""
    if not isinstance(invitation_id, str) or not INVITATION_ID.match(invitation_id):
        raise ValueError("an invitation id is 1–64 characters of A–Z, a–z, 0–9, '-' and '_'")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    expiry = int(expires_at.timestamp())
    if not 0 < expiry <= _EXPIRY_MAX:
        raise ValueError("expires_at is out of range")
    body = bytes([VERSION]) + expiry.to_bytes(5, "big") + invitation_id.encode("ascii")
    raw = body + _tag(keys.signing, Purpose(purpose), body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def verify(
    keys: TokenKeys, token: str, *, now: datetime, purpose: Purpose = Purpose.INVITATION, leeway_s: int = 0
) -> TokenClaims:
    """The token's claims, or TokenMalformed | TokenTampered | TokenExpired."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    raw = _decode(token)
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    purpose = Purpose(purpose)
    # Every key is tried (no early exit): the time taken does not tell which key matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(_tag(key, purpose, body), tag)
    if not matched:
        raise TokenTampered("the token's signature does not match")
    invitation_id = body[6:].decode("ascii")
    expires_at = datetime.fromtimestamp(int.from_bytes(body[1:6], "big"), UTC)
    if now.timestamp() >= expires_at.timestamp() + leeway_s:
        raise TokenExpired(invitation_id, expires_at)
    return TokenClaims(invitation_id, expires_at)


def _decode(token: object) -> bytes:
    if (
        not isinstance(token, str)
        or not 0 < len(token) <= MAX_TOKEN_CHARS
        or not _TOKEN_CHARS.match(token)
        or len(token) % 4 == 1
    ):
        raise TokenMalformed("not a token")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    # One token, one spelling: refuse encodings whose unused trailing bits are set.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise TokenMalformed("not a canonical token")
    if len(raw) < 1 + 5 + 1 + TAG_BYTES or raw[0] != VERSION:
        raise TokenMalformed("unknown token version or truncated token")
    if not INVITATION_ID.match(raw[6:-TAG_BYTES].decode("latin-1")):
        raise TokenMalformed("not a token")
    return raw


# -- the survey link -----------------------------------------------------------------------------

TOKEN_PLACEHOLDER = "{token}"
PLACEHOLDERS = frozenset({"token", "case_id", "program", "locale"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_link_template(template: object) -> str:
    """The form's link template, or ValueError: https, bounded, with `{token}`, no unknown placeholders.

    Other placeholders: `{case_id}` (the case a follow-up closes), `{program}`, `{locale}`.
    Nothing personal can be placed in a link.
    """
    if not isinstance(template, str):
        raise ValueError("must be a URL template")
    template = template.strip()
    if not template or len(template) > MAX_TEMPLATE:
        raise ValueError(f"must be 1–{MAX_TEMPLATE} characters")
    if line_problem(template) or any(c.isspace() for c in template):
        raise ValueError("must not contain spaces or control characters")
    names = _PLACEHOLDER.findall(template)
    unknown = sorted(set(names) - PLACEHOLDERS)
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0][:30]}}} (allowed: "
            + ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            + ")"
        )
    if "token" not in names:
        raise ValueError(f"must contain the placeholder {TOKEN_PLACEHOLDER}, where the invitation's token goes")
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise ValueError("has an unmatched '{' or '}'")
    parts = urlsplit(template)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https:// URL")
    if not parts.hostname or "{" in parts.netloc:
        raise ValueError("must name the form's host (placeholders go in the path, query or fragment)")
    if "@" in parts.netloc:
        raise ValueError("must not carry credentials")
    return template


def build_link(
    template: str, token: str, *, case_id: str | None = None, program: str | None = None, locale: str | None = None
) -> str:
    """The link for one invitation: the (checked) template with each placeholder URL-encoded."""
    values = {"token": token, "case_id": case_id or "", "program": program or "", "locale": locale or ""}
    link = _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), check_link_template(template))
    if len(link) > MAX_LINK:
        raise ValueError(f"the link would be longer than {MAX_LINK} characters")
    return link
