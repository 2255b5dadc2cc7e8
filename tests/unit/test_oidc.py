"""Access tokens (shared.http.oidc): the verifier with keys the test makes, the key set's refetch
rules on a clock the test moves. The same against a real provider and service: tests/test_oidc.py."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.errors import Forbidden, Unauthorized, Unavailable
from shared.http.auth import ApiKeys, Authenticator
from shared.http.oidc import (
    KeySet,
    OidcConfig,
    TokenVerifier,
    claim_at,
    looks_like_jwt,
    parse_jwks,
    parse_role_map,
    role_from,
    who_of,
)
from shared.settings import Settings

ISSUER, AUDIENCE = "https://id.example.com/realms/cx", "lazo-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk_of(private, kid: str, **extra) -> dict:
    algo = jwt.algorithms.RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    return {**json.loads(algo.to_jwk(private.public_key())), "kid": kid, "use": "sig", **extra}


def token(private=RSA_KEY, *, kid="k1", alg="RS256", **claims) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "ana@cx",
        "iat": now,
        "exp": now + 300,
        "lazo_role": "agent",
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, private, algorithm=alg, headers={"kid": kid})


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Provider:
    """What the fetch function answers; counts the fetches."""

    def __init__(self, *keys: dict):
        self.keys = list(keys)
        self.down = False
        self.calls = 0

    async def __call__(self) -> dict:
        self.calls += 1
        if self.down:
            raise OSError("connection refused")
        return {"keys": self.keys}


def config(**overrides) -> OidcConfig:
    base = dict(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_url=None,
        role_claim="lazo_role",
        role_map={},
        teams_claim="lazo_teams",
        algorithms=frozenset({"RS256", "ES256"}),
        leeway_s=0,
        refresh_min_s=60,
        max_age_s=3600,
        allow_private=False,
    )
    return OidcConfig(**{**base, **overrides})


def verifier(provider: Provider, clock: Clock | None = None, **overrides) -> TokenVerifier:
    cfg = config(**overrides)
    return TokenVerifier(
        cfg, KeySet(provider, refresh_min_s=cfg.refresh_min_s, max_age_s=cfg.max_age_s, clock=clock or Clock())
    )


async def test_a_token_signed_by_the_providers_key_gives_its_role_and_subject():
    v = verifier(Provider(jwk_of(RSA_KEY, "k1"), jwk_of(EC_KEY, "e1")))
    assert (await v.verify(token())).role == "agent"
    verified = await v.verify(token(EC_KEY, kid="e1", alg="ES256", lazo_role="manager", sub="u-7"))
    assert (verified.role, verified.subject) == ("manager", "u-7")


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: token(exp=int(time.time()) - 120), "expired"),
        (lambda: token(aud="someone-else"), "audience"),
        (lambda: token(iss="https://evil.example.com"), "issuer"),
        (lambda: token(OTHER_RSA_KEY), "wrong signature"),
        (lambda: token(exp=None), "exp"),
        (lambda: token(aud=None), "aud"),
        (lambda: token(kid="nobody-knows"), "does not publish"),
        (lambda: token(RSA_KEY, alg="RS512"), "RS512"),
        (lambda: jwt.encode({"sub": "x"}, RSA_KEY, algorithm="RS256"), "kid"),
        (lambda: "eyJhbGciOi.not-base64!.x", "not a signed JWT"),
    ],
)
async def test_tokens_that_do_not_prove_themselves_are_401(bad, message):
    v = verifier(Provider(jwk_of(RSA_KEY, "k1")))
    with pytest.raises(Unauthorized) as caught:
        await v.verify(bad())
    assert message in caught.value.detail


async def test_alg_none_is_401_and_the_key_set_is_not_even_asked():
    provider = Provider(jwk_of(RSA_KEY, "k1"))
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 4102444800, "lazo_role": "admin"}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64(claims)}."
    with pytest.raises(Unauthorized, match="'none' is not accepted"):
        await verifier(provider).verify(unsigned)
    assert provider.calls == 0


async def test_hs256_signed_with_the_public_key_is_401():
    # The classic confusion: a verifier that takes the algorithm from the token would check this
    # HMAC with the public key (which everyone has) as its secret.
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64({"alg": "HS256", "typ": "JWT", "kid": "k1"})
    payload = b64({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 4102444800, "lazo_role": "admin"})
    import hashlib
    import hmac

    signature = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(Unauthorized, match="'HS256' is not accepted"):
        await verifier(Provider(jwk_of(RSA_KEY, "k1"))).verify(f"{header}.{payload}.{signature}")


async def test_a_key_used_with_another_algorithm_than_its_own_is_401():
    v = verifier(
        Provider(jwk_of(RSA_KEY, "k1", alg="RS256"), jwk_of(EC_KEY, "e1")),
        algorithms=frozenset({"RS256", "PS256", "ES256"}),
    )
    with pytest.raises(Unauthorized, match="not its key's"):
        await v.verify(token(alg="PS256"))
    with pytest.raises(Unauthorized):  # an EC key named for an RSA signature
        await v.verify(token(kid="e1"))


async def test_a_valid_token_without_a_lazo_role_is_403():
    v = verifier(Provider(jwk_of(RSA_KEY, "k1")))
    for claim in (None, "superuser", ["viewer"], {"role": "admin"}):
        with pytest.raises(Forbidden, match="lazo_role"):
            await v.verify(token(lazo_role=claim))


def test_role_from_nested_claims_lists_and_the_map():
    claims = {
        "realm_access": {"roles": ["offline_access", "cx-agents", "cx-managers"]},
        "https://lazo.example/role": "admin",
        "groups": ["manager", "agent"],
    }
    mapping = parse_role_map("cx-agents:agent, cx-managers:manager")
    assert role_from(claims, "realm_access.roles", mapping) == "manager"  # the strongest it names
    assert role_from(claims, "https://lazo.example/role", {}) == "admin"  # a dotted name, whole
    assert role_from(claims, "groups", {}) == "manager"
    assert role_from(claims, "realm_access.roles", {}) is None
    assert claim_at(claims, "realm_access.missing.deeper") is None
    with pytest.raises(ValueError):
        parse_role_map("cx-admins:root")


def test_who_names_the_subject_or_its_digest():
    assert who_of("agent", "ana@cx") == "agent:ana@cx"
    long = who_of("agent", "x" * 300)
    assert long.startswith("agent:sub-sha256:") and len(long) < 100
    assert who_of("agent", "a\nb").startswith("agent:sub-sha256:")


def test_only_signing_public_keys_with_a_kid_are_kept():
    private_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY))
    keys = parse_jwks(
        {
            "keys": [
                jwk_of(RSA_KEY, "sig"),
                jwk_of(EC_KEY, "enc", use="enc"),
                {**private_jwk, "kid": "private"},
                {"kty": "XYZ", "kid": "odd"},
                {k: v for k, v in jwk_of(EC_KEY, "x").items() if k != "kid"},
                "junk",
            ]
        }
    )
    assert set(keys) == {"sig"}
    with pytest.raises(ValueError):
        parse_jwks({"no": "keys"})


async def test_rotation_an_unknown_kid_refetches_at_most_once_per_interval():
    clock, provider = Clock(), Provider(jwk_of(RSA_KEY, "k1"))
    v = verifier(provider, clock, refresh_min_s=60)
    await v.verify(token())
    assert provider.calls == 1
    provider.keys = [jwk_of(RSA_KEY, "k1"), jwk_of(EC_KEY, "k2")]  # the provider rotates
    clock.now += 61
    assert (await v.verify(token(EC_KEY, kid="k2", alg="ES256"))).subject == "ana@cx"
    assert provider.calls == 2
    for i in range(50):  # a flood of forged kids: refused, and the provider is not asked again
        with pytest.raises(Unauthorized):
            await v.verify(token(OTHER_RSA_KEY, kid=f"forged-{i}"))
    assert provider.calls == 2
    clock.now += 61
    with pytest.raises(Unauthorized):
        await v.verify(token(OTHER_RSA_KEY, kid="forged-again"))
    assert provider.calls == 3


async def test_a_stale_key_set_is_refreshed_and_a_retired_key_stops_working():
    clock, provider = Clock(), Provider(jwk_of(RSA_KEY, "k1"))
    v = verifier(provider, clock, max_age_s=3600)
    await v.verify(token())
    provider.keys = [jwk_of(EC_KEY, "k2")]
    clock.now += 3601
    with pytest.raises(Unauthorized, match="does not publish"):
        await v.verify(token())


async def test_provider_away_no_keys_is_503_then_the_last_keys_stay_in_use():
    clock, provider = Clock(), Provider(jwk_of(RSA_KEY, "k1"))
    provider.down = True
    v = verifier(provider, clock, max_age_s=100)
    with pytest.raises(Unavailable):
        await v.verify(token())
    with pytest.raises(Unavailable):  # within the interval: not asked again, still 503
        await v.verify(token())
    assert provider.calls == 1
    provider.down = False
    clock.now += 61
    await v.verify(token())
    provider.down = True
    clock.now += 200  # stale, and the provider is away: the keys it last published still verify
    await v.verify(token())


async def test_the_authenticator_tells_tokens_from_keys():
    auth = Authenticator(ApiKeys([("k-agent", "agent")]), verifier(Provider(jwk_of(RSA_KEY, "k1"))))
    principal = await auth.identify({"authorization": f"Bearer {token()}"})
    assert (principal.role, principal.subject, principal.who) == ("agent", "ana@cx", "agent:ana@cx")
    assert principal.key_id.startswith("oidc-")
    assert (await auth.identify({"x-api-key": "k-agent"})).role == "agent"
    with pytest.raises(Unauthorized, match="API key or access token"):
        await auth.identify({"authorization": "Bearer nope"})
    keys_only = Authenticator(ApiKeys([("k-agent", "agent")]))
    with pytest.raises(Unauthorized, match="invalid API key"):
        await keys_only.identify({"authorization": f"Bearer {token()}"})
    assert looks_like_jwt(token()) and not looks_like_jwt("lazo_abc.def")


def test_settings_refuse_symmetric_algorithms_plain_http_and_a_missing_audience(tmp_path):
    ok = dict(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, var_dir=tmp_path)
    assert OidcConfig.from_settings(Settings(**ok)).algorithms == {"RS256", "ES256"}
    assert OidcConfig.from_settings(Settings(var_dir=tmp_path)) is None
    for bad in (
        {"oidc_algorithms": "RS256,HS256"},
        {"oidc_algorithms": "none"},
        {"oidc_issuer": "http://id.example.com"},
        {"oidc_jwks_url": "http://id.example.com/jwks"},
    ):
        with pytest.raises(ValueError):
            OidcConfig.from_settings(Settings(**{**ok, **bad}))
    assert OidcConfig.from_settings(Settings(**{**ok, "oidc_issuer": "http://127.0.0.1:9"}, oidc_allow_private=True))
    with pytest.raises(ValueError, match="AUDIENCE"):
        Settings(oidc_issuer=ISSUER, var_dir=tmp_path)
