"""API keys with roles (CONTRACT.md): `LAZO_API_KEYS=key:role,key:role`.

Keys are held only as SHA-256 digests and compared in constant time. In development, when no
keys are configured, one admin key is generated and saved to `var/api-key`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from shared.errors import Forbidden, Unauthorized
from shared.secretfile import read_or_create
from shared.settings import Settings

ROLES = ("ingest", "agent", "manager", "admin")


@dataclass(frozen=True)
class Principal:
    role: str
    key_id: str  # a fingerprint of the key: who did it, without the secret

    @property
    def who(self) -> str:
        return f"{self.role}:{self.key_id}"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    def __init__(self, pairs: list[tuple[str, str]]):
        self._entries = [(_digest(k), role, _digest(k).hex()[:8]) for k, role in pairs]

    @classmethod
    def parse(cls, spec: str) -> "ApiKeys":
        pairs = []
        for item in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, role = item.rpartition(":")
            if not sep or not key or role not in ROLES:
                raise ValueError(f"LAZO_API_KEYS entry must be key:role with role in {ROLES}")
            pairs.append((key, role))
        return cls(pairs)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiKeys":
        if settings.api_keys:
            return cls.parse(settings.api_keys)
        return cls([(dev_key(settings.var_dir), "admin")])

    def identify(self, key: str) -> Principal | None:
        digest = _digest(key)
        found = None
        for stored, role, key_id in self._entries:  # no early exit: constant time over the list
            if hmac.compare_digest(stored, digest):
                found = Principal(role, key_id)
        return found


def dev_key(var_dir: Path) -> str:
    """The generated development key, created once (0600) and shared by all services via the file."""
    return read_or_create(var_dir / "api-key", lambda: "lazo_" + secrets.token_urlsafe(24))


def presented_key(headers: Mapping[str, str]) -> str:
    """The key a request presents (`Authorization: Bearer <key>` or `X-API-Key`), or ''."""
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("x-api-key", "")


# Where the HTTP gate (shared.http.gate) leaves the principal it identified from the headers.
PRINCIPAL_SCOPE_KEY = "lazo.principal"
MISSING_KEY = "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'"


def identify(keys: ApiKeys, headers: Mapping[str, str]) -> Principal:
    """The principal a request's headers prove, or Unauthorized."""
    key = presented_key(headers)
    if not key:
        raise Unauthorized(MISSING_KEY)
    principal = keys.identify(key)
    if principal is None:
        raise Unauthorized("invalid API key")
    return principal


def authorize(principal: Principal, allowed: frozenset[str]) -> Principal:
    """`principal` if its role is one of `allowed`, or Forbidden."""
    if principal.role not in allowed:
        raise Forbidden(f"role '{principal.role}' may not do this; needs one of {sorted(allowed)}")
    return principal


async def _principal(request: Request) -> Principal:
    # Normally identified already, before the body was read; checked here too so that a route
    # is never served without a key, whatever is in front of it.
    return request.scope.get(PRINCIPAL_SCOPE_KEY) or identify(request.app.state.api_keys, request.headers)


def require(*roles: str):
    """Dependency: a principal whose role is one of `roles` (admin may do everything). The gate
    reads `lazo_roles` to check the key from the headers before the body is read."""
    allowed = frozenset(roles) | {"admin"}

    # async: a plain def dependency would be sent to the thread pool on every request.
    async def _check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        return authorize(principal, allowed)

    _check.lazo_roles = allowed  # type: ignore[attr-defined]
    return _check


# Role groups used across services.
Ingestor = Annotated[Principal, Depends(require("ingest"))]
Reader = Annotated[Principal, Depends(require("agent", "manager"))]
Agent = Annotated[Principal, Depends(require("agent", "manager"))]
Manager = Annotated[Principal, Depends(require("manager"))]
Admin = Annotated[Principal, Depends(require())]
