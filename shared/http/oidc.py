"""OpenID Connect access tokens beside API keys: JWTs verified against the provider's JWKS.

Verification is PyJWT's (signature, `exp`/`nbf`/`iat` with a leeway, `iss`, `aud`); this module is
the glue around it:

- **Only asymmetric algorithms** from `LAZO_OIDC_ALGORITHMS` are accepted, each with the one key
  the token's `kid` names: `alg: none` and an HS256 token "signed" with the provider's public key
  never reach a verifier. A key that declares its own `alg` is used for that algorithm only.
- **Key rotation.** The key set is cached (`LAZO_OIDC_JWKS_MAX_AGE_S`); a token signed by a `kid`
  the cache does not hold refetches it, at most once per `LAZO_OIDC_JWKS_REFRESH_MIN_S` whatever
  the number of such tokens, so forged `kid`s cannot make Lazo hammer the provider. While the
  provider is away the last key set stays in use; with none yet, a token is a 503, not a 401.
- **Fetched through shared.outbound**, like every call Lazo makes: the discovery document and the
  key set must be https on the internet, unless `LAZO_OIDC_ALLOW_PRIVATE` (tests, an on-premise
  provider) allows loopback and private addresses (and plain http there).
- **Role from a claim** (`LAZO_OIDC_ROLE_CLAIM`, dotted for nested claims), mapped by
  `LAZO_OIDC_ROLE_MAP` when the provider's names differ; several values: the strongest role wins.
  Owner teams from `LAZO_OIDC_TEAMS_CLAIM` (an agent then works only those teams' cases).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from shared.egress import Egress
from shared.errors import Forbidden, Unauthorized, Unavailable
from shared.http.roles import ROLES
from shared.logsafe import describe
from shared.outbound import OutboundClient
from shared.settings import Settings

log = logging.getLogger("lazo.oidc")

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
MAX_TOKEN_CHARS = 16 * 1024
MAX_KEYS = 100
MAX_DOCUMENT_BYTES = 256 * 1024
# A subject longer than this is named by its digest in `who` (the audit columns hold 100 characters).
_SUBJECT_CHARS = 80
# Owner teams a key or token may name: as many and as long as casework's owners (String(200)).
TEAM_CHARS = 200
MAX_TEAMS = 100


def looks_like_jwt(value: str) -> bool:
    """A compact JWS: three base64url parts, the first a JSON object (`eyJ` is `{"`)."""
    return value.startswith("eyJ") and value.count(".") == 2


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str | None
    role_claim: str
    role_map: Mapping[str, str]
    teams_claim: str
    algorithms: frozenset[str]
    leeway_s: float
    refresh_min_s: float
    max_age_s: float
    allow_private: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        if not settings.oidc_issuer:
            return None
        algorithms = frozenset(a.strip() for a in settings.oidc_algorithms.split(",") if a.strip())
        if not algorithms or not algorithms <= ASYMMETRIC:
            raise ValueError(
                f"LAZO_OIDC_ALGORITHMS must name algorithms among {sorted(ASYMMETRIC)}: "
                "a token verified with a shared secret could be forged by anyone who has it"
            )
        for url, name in ((settings.oidc_issuer, "LAZO_OIDC_ISSUER"), (settings.oidc_jwks_url, "LAZO_OIDC_JWKS_URL")):
            if url and not url.startswith("https://") and not settings.oidc_allow_private:
                raise ValueError(f"{name} must be an https URL (plain http only with LAZO_OIDC_ALLOW_PRIVATE)")
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience or "",
            jwks_url=settings.oidc_jwks_url,
            role_claim=settings.oidc_role_claim,
            teams_claim=settings.oidc_teams_claim,
            role_map=parse_role_map(settings.oidc_role_map),
            algorithms=algorithms,
            leeway_s=settings.oidc_leeway_s,
            refresh_min_s=settings.oidc_jwks_refresh_min_s,
            max_age_s=settings.oidc_jwks_max_age_s,
            allow_private=settings.oidc_allow_private,
        )


def parse_role_map(spec: str) -> dict[str, str]:
    """`LAZO_OIDC_ROLE_MAP=cx-admins:admin,cx-agents:agent`: the provider's names for Lazo's roles."""
    mapping = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, role = item.rpartition(":")
        if not sep or not name or role not in ROLES:
            raise ValueError(f"LAZO_OIDC_ROLE_MAP entry must be name:role with role in {ROLES}")
        mapping[name] = role
    return mapping


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at a dotted path (`realm_access.roles`), or None. A claim whose own name has a dot
    in it (`https://lazo.example/role`) is found whole first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def role_from(claims: Mapping[str, Any], path: str, role_map: Mapping[str, str]) -> str | None:
    """The strongest Lazo role the claim names (directly or through the map), or None."""
    value = claim_at(claims, path)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = {role_map.get(v, v) for v in values[:200] if isinstance(v, str)} & set(ROLES)
    return max(found, key=ROLES.index) if found else None


def teams_from(claims: Mapping[str, Any], path: str) -> frozenset[str]:
    """The owner teams a claim names (a string or a list of strings); odd values are left out."""
    value = claim_at(claims, path)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return frozenset(
        v for v in values[:MAX_TEAMS] if isinstance(v, str) and v and len(v) <= TEAM_CHARS and v.isprintable()
    )


def who_of(role: str, subject: str) -> str:
    """Who did it, for the records that name an actor: the token's subject, or its digest when long."""
    if len(subject) > _SUBJECT_CHARS or not subject.isprintable():
        subject = "sub-sha256:" + hashlib.sha256(subject.encode()).hexdigest()[:16]
    return f"{role}:{subject}"


# --- the key set ----------------------------------------------------------------------------------

Fetch = Callable[[], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class _Key:
    jwk: jwt.PyJWK
    alg: str | None  # the algorithm the key declares for itself, if any


def parse_jwks(document: Mapping[str, Any]) -> dict[str, _Key]:
    """Signing keys by `kid`; keys Lazo cannot use (encryption keys, unknown types, no kid) skipped."""
    keys: dict[str, _Key] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("a JWKS document is an object with a 'keys' list")
    for entry in entries[:MAX_KEYS]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid, alg = entry.get("kid"), entry.get("alg")
        if not isinstance(kid, str) or not kid or "d" in entry:  # never a private key
            continue
        try:
            keys[kid] = _Key(jwt.PyJWK(entry), alg if isinstance(alg, str) else None)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return keys


class KeySet:
    """The provider's signing keys, cached; refetched when stale or when a token names an unknown
    `kid`, never more than once per `refresh_min_s`. Concurrent requests share one fetch."""

    def __init__(
        self, fetch: Fetch, *, refresh_min_s: float, max_age_s: float, clock: Callable[[], float] = time.monotonic
    ):
        self._fetch = fetch
        self._refresh_min_s = refresh_min_s
        self._max_age_s = max_age_s
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._fetched_at: float | None = None  # last success
        self._tried_at: float | None = None  # last attempt, successful or not
        self._failing = False
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> _Key | None:
        stale = self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age_s
        if stale or kid not in self._keys:
            await self._refresh()
        if not self._keys and self._failing:
            raise Unavailable("the identity provider's keys cannot be fetched; retry shortly")
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._tried_at is not None and now - self._tried_at < self._refresh_min_s:
                return  # fetched (or tried) just now, maybe by the request this one waited for
            self._tried_at = now
            self.fetches += 1
            try:
                keys = parse_jwks(await self._fetch())
            except Exception as exc:  # the provider away or answering nonsense: keep what we have
                self._failing = True
                log.warning("fetching the identity provider's keys failed: %s", describe(exc))
                return
            self._keys, self._fetched_at, self._failing = keys, now, False


# --- fetching through shared.outbound -------------------------------------------------------------


class ProviderDocuments:
    """The discovery document (for `jwks_uri`) and the key set, fetched through the outbound client."""

    def __init__(self, config: OidcConfig, client: OutboundClient):
        self._config = config
        self._client = client
        self._jwks_url = config.jwks_url

    async def _json(self, url: str) -> Mapping[str, Any]:
        reply = await self._client.request(
            "GET", url, headers={"accept": "application/json"}, max_bytes=MAX_DOCUMENT_BYTES
        )
        if not reply.ok or not reply.complete:
            raise httpx.HTTPError(f"{url} answered {reply.status_code}" + ("" if reply.complete else " (too large)"))
        document = json.loads(reply.body)
        if not isinstance(document, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return document

    async def jwks(self) -> Mapping[str, Any]:
        if self._jwks_url is None:
            discovery = await self._json(self._config.issuer.rstrip("/") + "/.well-known/openid-configuration")
            # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was asked for.
            if discovery.get("issuer") != self._config.issuer:
                raise ValueError("the discovery document names another issuer")
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not (jwks_uri.startswith("https://") or self._config.allow_private):
                raise ValueError("the discovery document has no https jwks_uri")
            self._jwks_url = jwks_uri
        return await self._json(self._jwks_url)


# --- verifying a token ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    role: str
    subject: str
    claims: Mapping[str, Any]
    teams: frozenset[str] = frozenset()


class TokenVerifier:
    def __init__(self, config: OidcConfig, keys: KeySet):
        self.config = config
        self.keys = keys

    async def verify(self, token: str) -> Verified:
        """The verified token's role and subject; Unauthorized (401) for any token that does not
        prove itself, Forbidden (403) for a valid one that carries no Lazo role."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("invalid access token: too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("invalid access token: not a signed JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.config.algorithms:
            raise Unauthorized(
                f"access token algorithm {str(alg)[:16]!r} is not accepted; "
                f"accepted: {', '.join(sorted(self.config.algorithms))}"
            )
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("invalid access token: its header names no key (kid)")
        key = await self.keys.key(kid)
        if key is None:
            raise Unauthorized("invalid access token: signed by a key the identity provider does not publish")
        if key.alg is not None and key.alg != alg:
            raise Unauthorized("invalid access token: its algorithm is not its key's")
        try:
            claims = jwt.decode(
                token,
                key.jwk.key,
                algorithms=[alg],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("access token expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("access token is not for this audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("access token is from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"invalid access token: no '{exc.claim}' claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("invalid access token: wrong signature") from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized(f"invalid access token: {type(exc).__name__}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("invalid access token: no subject (sub)")
        role = role_from(claims, self.config.role_claim, self.config.role_map)
        if role is None:
            raise Forbidden(f"the access token carries no Lazo role in its '{self.config.role_claim}' claim")
        return Verified(role, subject, claims, teams_from(claims, self.config.teams_claim))


def token_verifier(settings: Settings) -> tuple[TokenVerifier, OutboundClient] | None:
    """The verifier the settings ask for (and its client, to close), or None without LAZO_OIDC_ISSUER."""
    config = OidcConfig.from_settings(settings)
    if config is None:
        return None
    client = OutboundClient(
        Egress(allow_private=config.allow_private),
        timeout_s=5.0,
        user_agent="Lazo-OIDC/1.0",
        max_bytes=MAX_DOCUMENT_BYTES,
    )
    documents = ProviderDocuments(config, client)
    keys = KeySet(documents.jwks, refresh_min_s=config.refresh_min_s, max_age_s=config.max_age_s)
    return TokenVerifier(config, keys), client
