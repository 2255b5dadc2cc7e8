"""Who a request is: an API key with its role (CONTRACT.md: `LAZO_API_KEYS=key:role,key:role`),
or an OpenID Connect access token (shared.http.oidc) when LAZO_OIDC_ISSUER is set.

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
from shared.http.oidc import TEAM_CHARS, TokenVerifier, looks_like_jwt, token_verifier, who_of
from shared.http.roles import ROLES
from shared.outbound import OutboundClient
from shared.secretfile import read_or_create
from shared.settings import Settings

__all__ = ["ROLES", "Principal", "ApiKeys", "Authenticator"]


@dataclass(frozen=True)
class Principal:
    role: str
    key_id: str  # a fingerprint of the key (or of the token's subject): who did it, without the secret
    subject: str | None = None  # an access token's `sub`
    teams: frozenset[str] = frozenset()  # owner teams the key or token works for (agents)

    @property
    def who(self) -> str:
        return who_of(self.role, self.subject) if self.subject is not None else f"{self.role}:{self.key_id}"

    @property
    def team_scope(self) -> frozenset[str] | None:
        """The only owner teams whose cases this principal sees and works, or None for every case:
        an agent with teams is held to them; managers and admins see all, whatever they carry."""
        return self.teams if self.role == "agent" and self.teams else None


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    def __init__(self, pairs: list[tuple[str, str]], teams: dict[str, frozenset[str]] | None = None):
        """`teams`: per key, the owner teams it works for (none: every team)."""
        teams = teams or {}
        self._entries = [(_digest(k), role, _digest(k).hex()[:8], teams.get(k, frozenset())) for k, role in pairs]

    @classmethod
    def parse(cls, spec: str) -> ApiKeys:
        """`key:role` or `key:role@team|team` (an agent held to those owner teams), comma-separated."""
        pairs, teams = [], {}
        for item in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, grant = item.rpartition(":")
            role, at, team_list = grant.partition("@")
            names = frozenset(t.strip() for t in team_list.split("|") if t.strip())
            if not sep or not key or role not in ROLES or (at and not names):
                raise ValueError(f"LAZO_API_KEYS entry must be key:role or key:role@team|team with role in {ROLES}")
            if any(len(t) > TEAM_CHARS or not t.isprintable() for t in names):
                raise ValueError(f"LAZO_API_KEYS team names are printable, at most {TEAM_CHARS} characters")
            pairs.append((key, role))
            if names:
                teams[key] = names
        return cls(pairs, teams)

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        if settings.api_keys:
            return cls.parse(settings.api_keys)
        return cls([(dev_key(settings.var_dir), "admin")])

    def identify(self, key: str) -> Principal | None:
        digest = _digest(key)
        found = None
        for stored, role, key_id, teams in self._entries:  # no early exit: constant time over the list
            if hmac.compare_digest(stored, digest):
                found = Principal(role, key_id, teams=teams)
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


class Authenticator:
    """API keys, and access tokens when a provider is configured. A bearer value shaped like a JWT
    is a token (no API key Lazo generates or documents has that shape); anything else is a key."""

    def __init__(self, keys: ApiKeys, tokens: TokenVerifier | None = None, client: OutboundClient | None = None):
        self.keys = keys
        self.tokens = tokens
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        verifier = token_verifier(settings)
        return cls(ApiKeys.from_settings(settings), *(verifier or ()))

    async def identify(self, headers: Mapping[str, str]) -> Principal:
        """The principal a request's headers prove; Unauthorized, or Forbidden for a valid token
        without a Lazo role, or Unavailable while the identity provider's keys cannot be had."""
        key = presented_key(headers)
        if not key:
            raise Unauthorized(MISSING_KEY)
        if self.tokens is not None and looks_like_jwt(key):
            verified = await self.tokens.verify(key)
            fingerprint = hashlib.sha256(f"{self.tokens.config.issuer} {verified.subject}".encode()).hexdigest()[:8]
            return Principal(verified.role, f"oidc-{fingerprint}", subject=verified.subject, teams=verified.teams)
        principal = self.keys.identify(key)
        if principal is None:
            raise Unauthorized("invalid API key" if self.tokens is None else "invalid API key or access token")
        return principal

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def authorize(principal: Principal, allowed: frozenset[str]) -> Principal:
    """`principal` if its role is one of `allowed`, or Forbidden."""
    if principal.role not in allowed:
        raise Forbidden(f"role '{principal.role}' may not do this; needs one of {sorted(allowed)}")
    return principal


async def _principal(request: Request) -> Principal:
    # Normally identified already, before the body was read; checked here too so that a route
    # is never served without a key, whatever is in front of it.
    return request.scope.get(PRINCIPAL_SCOPE_KEY) or await request.app.state.authenticator.identify(request.headers)


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
