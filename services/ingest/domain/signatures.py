"""Each platform's own webhook signature scheme, verified over the raw body. Pure functions:
they raise SignatureError with a reason that never quotes the body, and compare in constant time.

Replay protection: Formbricks (Standard Webhooks) signs a timestamp, and anything outside the
library's five-minute tolerance is refused. Typeform, Tally, SurveyMonkey, Qualtrics and the
generic scheme sign no timestamp, so a captured request could be sent again; it would carry the
same platform response id, hence the same `response_id` and the same CloudEvent id, and every
consumer applies an event id once: a replay changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qs

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class SignatureError(Exception):
    """The request is not provably from the platform. The message is safe to log and to return."""


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (HTTP header names are case-insensitive)."""
    name = name.lower()
    value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value.strip()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _b64_hmac(key: bytes, body: bytes, digest) -> str:
    return base64.b64encode(hmac.new(key, body, digest).digest()).decode()


def verify_typeform(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """`Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>`."""
    got = _header(headers, "typeform-signature")
    if not got:
        raise SignatureError("missing Typeform-Signature header")
    if not got.startswith("sha256="):
        raise SignatureError("Typeform-Signature must start with 'sha256='")
    if not _same(got, "sha256=" + _b64_hmac(secret.encode(), body, hashlib.sha256)):
        raise SignatureError("Typeform-Signature does not match the body")


def verify_tally(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """`Tally-Signature: <base64 HMAC-SHA256(secret, body)>`."""
    got = _header(headers, "tally-signature")
    if not got:
        raise SignatureError("missing Tally-Signature header")
    if not _same(got, _b64_hmac(secret.encode(), body, hashlib.sha256)):
        raise SignatureError("Tally-Signature does not match the body")


def check_standard_secret(secret: str) -> None:
    """ValueError unless `secret` is a usable Standard Webhooks secret (`whsec_<base64>`)."""
    prefix, _, key = secret.partition("_")
    try:
        raw = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
        Webhook(secret)
    except Exception:  # not base64, or refused by the library
        raw = b""
    if prefix != "whsec" or len(raw) < 16:
        raise ValueError("not a Standard Webhooks secret: expected whsec_ and at least 16 base64-encoded bytes")


def verify_formbricks(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Standard Webhooks: `webhook-id`, `webhook-timestamp` (±5 min), `webhook-signature: v1,<b64>`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if not lowered.get("webhook-signature"):
        raise SignatureError("missing webhook-signature header")
    try:
        Webhook(secret).verify(body.decode("utf-8"), lowered, json_parse=False)
    except WebhookVerificationError as exc:
        raise SignatureError(f"Standard Webhooks verification failed: {exc}") from None
    except (ValueError, binascii.Error, UnicodeDecodeError):  # a malformed header or body
        raise SignatureError("Standard Webhooks verification failed: malformed signature headers") from None


def verify_surveymonkey(client_id: str, client_secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """`Sm-Signature: <base64 HMAC-SHA1("{client_id}&{client_secret}", body)>`."""
    got = _header(headers, "sm-signature")
    if not got:
        raise SignatureError("missing Sm-Signature header")
    key = f"{client_id}&{client_secret}".encode()
    if not _same(got, _b64_hmac(key, body, hashlib.sha1)):
        raise SignatureError("Sm-Signature does not match the body")


def parse_form(body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as a dict (first value of each name)."""
    try:
        pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return {}
    return {k: v[0] for k, v in pairs.items() if v}


def verify_qualtrics(shared_key: str, form: Mapping[str, str]) -> None:
    """Event subscription with a shared key: `HMAC` = hex HMAC-SHA512(sharedKey, MSG)."""
    got = (form.get("HMAC") or "").strip().lower()
    if not got:
        raise SignatureError("missing HMAC field")
    msg = form.get("MSG") or ""
    expected = hmac.new(shared_key.encode(), msg.encode(), hashlib.sha512).hexdigest()
    if not _same(got, expected):
        raise SignatureError("HMAC does not match MSG")


TOKEN_HEADER = "x-lazo-token"
SIGNATURE_HEADER = "x-lazo-signature"


def token_digest(token: str) -> str:
    """Shared tokens are only compared, so only their SHA-256 is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def verify_generic(
    body: bytes, headers: Mapping[str, str], *, token_sha256: str | None = None, secret: str | None = None
) -> None:
    """A shared token (`X-Lazo-Token`, or `Authorization: Bearer`) or `X-Lazo-Signature: sha256=<hex
    HMAC-SHA256(secret, body)>`, whichever the source was given."""
    if token_sha256:
        token = _header(headers, TOKEN_HEADER)
        auth = _header(headers, "authorization")
        if not token and auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        if not token:
            raise SignatureError("missing X-Lazo-Token header")
        if not _same(token_digest(token), token_sha256):
            raise SignatureError("X-Lazo-Token is not this source's token")
        return
    if secret:
        got = _header(headers, SIGNATURE_HEADER)
        if not got:
            raise SignatureError("missing X-Lazo-Signature header")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not _same(got.lower(), expected):
            raise SignatureError("X-Lazo-Signature does not match the body")
        return
    raise SignatureError("the source has neither a token nor a secret")
