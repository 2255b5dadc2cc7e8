"""The survey platforms ingest understands: their credentials, how their webhooks are verified and
read, and whether the answers come in the webhook or must be fetched from the platform's API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.ingest.domain import signatures
from services.ingest.domain.signatures import SignatureError

# Secrets and tokens shorter than this are guessable; longer than the other bound, not a credential.
MIN_SECRET_CHARS = 16
MAX_CREDENTIAL_CHARS = 2000


@dataclass(frozen=True)
class Platform:
    name: str
    credentials: tuple[str, ...]  # all required
    one_of: tuple[str, ...] = ()  # exactly one of these (generic JSON: a token or an HMAC secret)
    fetches: bool = False  # the webhook names the response; the answers come from the API
    api_base_url: str | None = None  # default; None with `fetches` = the source must give one
    api_hosts: tuple[str, ...] = ()  # the API's hosts (its data centres)…
    api_domain: str | None = None  # …or any `<datacentre>.<domain>` / `<org>.<datacentre>.<domain>`


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("typeform", ("secret",)),
        Platform("tally", ("secret",)),
        Platform("formbricks", ("secret",)),
        # SurveyMonkey's US, EU and Canadian data centres (and the US one's older name).
        Platform(
            "surveymonkey",
            ("client_id", "client_secret", "access_token"),
            fetches=True,
            api_base_url="https://api.surveymonkey.com",
            api_hosts=(
                "api.surveymonkey.com",
                "api.eu.surveymonkey.com",
                "api.surveymonkey.ca",
                "api.surveymonkey.net",
            ),
        ),
        # Qualtrics' API lives on the account's datacenter, e.g. https://fra1.qualtrics.com, or its
        # organisation's name there, e.g. https://acme.fra1.qualtrics.com
        Platform("qualtrics", ("shared_key", "api_token"), fetches=True, api_domain="qualtrics.com"),
        Platform("generic", (), one_of=("token", "secret")),
    )
}


def is_secret(name: str) -> bool:
    """A credential that must be hard to guess (not a public id such as SurveyMonkey's client_id)."""
    return name.endswith(("secret", "token", "key"))


def credential_errors(platform: Platform, credentials: Mapping[str, str], api_base_url: str | None) -> list[dict]:
    """What is wrong with the credentials a source is created with (field-named, never echoing them)."""
    errors = []
    for name in platform.credentials:
        if not credentials.get(name):
            errors.append({"field": f"credentials.{name}", "message": f"required for {platform.name}"})
    for name, value in credentials.items():
        if len(value) > MAX_CREDENTIAL_CHARS:
            errors.append({"field": f"credentials.{name}", "message": f"longer than {MAX_CREDENTIAL_CHARS} characters"})
        elif value and is_secret(name) and len(value) < MIN_SECRET_CHARS:
            errors.append(
                {
                    "field": f"credentials.{name}",
                    "message": f"too short: a secret or token needs at least {MIN_SECRET_CHARS} characters",
                }
            )
    if platform.one_of and sum(bool(credentials.get(n)) for n in platform.one_of) != 1:
        errors.append({"field": "credentials", "message": f"give exactly one of {', '.join(platform.one_of)}"})
    allowed = set(platform.credentials) | set(platform.one_of)
    for name in credentials:
        if name not in allowed:
            errors.append({"field": f"credentials.{name}", "message": f"{platform.name} takes {sorted(allowed)}"})
    if (
        platform.name == "formbricks"
        and credentials.get("secret")
        and not any(e["field"] == "credentials.secret" for e in errors)
    ):
        try:
            signatures.check_standard_secret(credentials["secret"])
        except ValueError as exc:
            errors.append({"field": "credentials.secret", "message": str(exc)})
    if platform.fetches and not (api_base_url or platform.api_base_url):
        errors.append({"field": "api_base_url", "message": f"required for {platform.name} (its API's address)"})
    return errors


def stored_credentials(platform: Platform, credentials: Mapping[str, str]) -> dict[str, str]:
    """What is kept (encrypted): everything a signature check needs; a shared token only as its digest."""
    kept = {k: v for k, v in credentials.items() if v}
    if platform.name == "generic" and kept.get("token"):
        kept["token_sha256"] = signatures.token_digest(kept.pop("token"))
    return kept


def verify(platform: Platform, stored: Mapping[str, str], body: bytes, headers: Mapping[str, str]) -> None:
    """SignatureError unless the request is signed by the platform with this source's credentials."""
    name = platform.name
    if name == "typeform":
        signatures.verify_typeform(stored["secret"], body, headers)
    elif name == "tally":
        signatures.verify_tally(stored["secret"], body, headers)
    elif name == "formbricks":
        signatures.verify_formbricks(stored["secret"], body, headers)
    elif name == "surveymonkey":
        signatures.verify_surveymonkey(stored["client_id"], stored["client_secret"], body, headers)
    elif name == "qualtrics":
        signatures.verify_qualtrics(stored["shared_key"], signatures.parse_form(body))
    elif name == "generic":
        signatures.verify_generic(body, headers, token_sha256=stored.get("token_sha256"), secret=stored.get("secret"))
    else:  # pragma: no cover - PLATFORMS and this switch are kept together
        raise SignatureError(f"no verifier for {name}")


class UnreadablePayload(ValueError):
    """A correctly signed body that is not what the platform sends (kept in quarantine)."""


def parse(platform: Platform, body: bytes) -> Any:
    """The webhook's payload: JSON, or for Qualtrics the form fields with `MSG` decoded."""
    if platform.name == "qualtrics":
        form = signatures.parse_form(body)
        payload: dict[str, Any] = {k: v for k, v in form.items() if k != "HMAC"}
        try:
            payload["MSG"] = json.loads(form.get("MSG") or "")
        except ValueError as exc:
            raise UnreadablePayload(f"MSG is not JSON: {exc}") from None
        return payload
    try:
        return json.loads(body)
    except ValueError as exc:
        raise UnreadablePayload(f"the body is not JSON: {exc}") from None


# Where each platform names a delivery in its signed body: Typeform and Tally sign no timestamp,
# so this id is what tells a platform's delivery from a replay of its captured body.
EVENT_ID_FIELDS = {"typeform": "event_id", "tally": "eventId"}
MAX_EVENT_ID_CHARS = 200


def event_id(platform: Platform, payload: Any) -> str | None:
    """The platform's id of this delivery (Typeform `event_id`, Tally `eventId`), or None."""
    field = EVENT_ID_FIELDS.get(platform.name)
    value = payload.get(field) if field and isinstance(payload, dict) else None
    if not isinstance(value, str) or not value:
        return None
    if len(value) > MAX_EVENT_ID_CHARS:  # not what the platforms send; kept comparable all the same
        return "sha256:" + hashlib.sha256(value.encode("utf-8", errors="replace")).hexdigest()
    return value
