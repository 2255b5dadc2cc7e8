"""Single sign-on through a real service: a small OpenID provider on loopback (discovery and key set
served over HTTP, tokens signed with keys this test makes) and casework trusting it; agents held to
their owner teams by their token or key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from shared.egress import Egress
from shared.events import Topic
from shared.http.oidc import OidcConfig, ProviderDocuments
from shared.outbound import OutboundClient, RefusedTarget
from shared.settings import Settings
from tests.harness import KEYS, System
from tests.oidc_provider import AUDIENCE, OpenIdProvider
from tests.support import poll, raw_producer
from tests.test_casework import alert

TEAM_KEY = "test-agent-web-team-key"


@pytest.fixture(scope="module")
def provider():
    p = OpenIdProvider()
    yield p
    p.close()


@pytest.fixture(scope="module")
def casework(provider, tmp_path_factory):
    # A short refetch interval, so that the rotation below is seen within the test's deadline.
    keys = ",".join(f"{key}:{role}" for role, key in KEYS.items()) + f",{TEAM_KEY}:agent@web"
    system = System(
        tmp_path_factory.mktemp("oidc"),
        services=("casework",),
        extra_env=provider.env(LAZO_OIDC_JWKS_REFRESH_MIN_S="0.5", LAZO_API_KEYS=keys),
    )
    yield system
    system.close()


def call(system: System, token: str, method: str = "GET", path: str = "/v1/cases", **kwargs) -> httpx.Response:
    return httpx.request(
        method, system.url("casework") + path, headers={"Authorization": f"Bearer {token}"}, timeout=15, **kwargs
    )


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def assert_401(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]


def test_an_agent_token_reads_and_a_manager_token_acts_under_its_subject(casework, provider):
    assert call(casework, provider.token("agent")).status_code == 200
    denied = call(casework, provider.token("agent"), "PUT", "/v1/programs/sso/sla", json={"close_days": 9})
    assert denied.status_code == 403, denied.text
    done = call(
        casework,
        provider.token("manager", sub="marta@cx.example"),
        "PUT",
        "/v1/programs/sso/sla",
        json={"close_days": 9},
    )
    assert done.status_code == 200, done.text
    assert done.json()["updated_by"] == "manager:marta@cx.example"
    # API keys keep working beside tokens.
    assert call(casework, KEYS["agent"]).status_code == 200


def test_a_valid_token_without_a_lazo_role_is_403(casework, provider):
    response = call(casework, provider.token(None))
    assert response.status_code == 403 and "lazo_role" in response.json()["detail"]


def test_tokens_that_do_not_prove_themselves_are_401(casework, provider):
    assert_401(call(casework, provider.token(exp=1_700_000_000)), "expired")
    assert_401(call(casework, provider.token(aud="another-api")), "audience")
    assert_401(call(casework, provider.token(iss="https://evil.example.com")), "issuer")
    # Signed by a key the test made but the provider never published, under a published kid.
    stranger = provider.add_key(publish=False)
    forged = provider.token("admin", kid=stranger).split(".")
    header = b64({"alg": "RS256", "typ": "JWT", "kid": provider.current})
    assert_401(call(casework, f"{header}.{forged[1]}.{forged[2]}"), "wrong signature")
    claims = {"iss": provider.issuer, "aud": AUDIENCE, "sub": "mallory", "exp": 4_102_444_800, "lazo_role": "admin"}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': provider.current})}.{b64(claims)}."
    assert_401(call(casework, unsigned), "'none' is not accepted")
    public_pem = (
        provider.keys[provider.current]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': provider.current})}.{b64(claims)}"
    mac = b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    assert_401(call(casework, f"{signing_input}.{mac}"), "'HS256' is not accepted")
    assert_401(call(casework, "eyJhbGciOiJSUzI1NiJ9.garbage.garbage"), "invalid access token")


async def test_a_rotated_key_is_fetched_when_a_token_names_it(casework, provider):
    assert call(casework, provider.token("agent")).status_code == 200
    before = provider.jwks_hits
    provider.rotate()
    token = provider.token("agent")
    await poll(
        lambda: call(casework, token).status_code == 200, timeout=20, interval=0.2, what="the new key to be fetched"
    )
    assert provider.jwks_hits > before


async def test_the_provider_on_loopback_needs_the_explicit_setting(provider, tmp_path):
    # The same fetch the services make, through the outbound client: without LAZO_OIDC_ALLOW_PRIVATE
    # the provider on 127.0.0.1 is never called (and an http issuer is refused at start).
    settings = Settings(var_dir=tmp_path, oidc_issuer="https://127.0.0.1", oidc_audience=AUDIENCE)
    config = OidcConfig.from_settings(settings)
    client = OutboundClient(Egress(allow_private=False), timeout_s=5, user_agent="test")
    hits = provider.jwks_hits
    try:
        documents = ProviderDocuments(
            config.__class__(**{**config.__dict__, "jwks_url": provider.issuer + "/jwks"}), client
        )
        with pytest.raises(RefusedTarget):
            await documents.jwks()
    finally:
        await client.aclose()
    assert provider.jwks_hits == hits
    with pytest.raises(ValueError, match="LAZO_OIDC_ALLOW_PRIVATE"):
        OidcConfig.from_settings(Settings(var_dir=tmp_path, oidc_issuer=provider.issuer, oidc_audience=AUDIENCE))


async def test_an_agent_held_to_its_teams_lists_and_works_only_their_cases(casework, provider, uid):
    program = f"teams-{uid}"
    customers = {name: f"C-{name}-{uid}" for name in ("billing", "web", "nobody")}
    producer = await raw_producer(casework.broker.bootstrap)
    try:
        for name, customer in customers.items():
            await producer.send_and_wait(
                Topic.ALERTS, alert(f"a-{name}-{uid}", customer, program=program).to_bytes(), key=customer.encode()
            )
    finally:
        await producer.stop()
    manager = provider.token("manager", sub="marta@cx.example")

    def cases(token: str, **params) -> dict:
        r = call(casework, token, params={"program": program, **params})
        assert r.status_code == 200, r.text
        return {c["customer_id"]: c for c in r.json()["items"]}

    found = await poll(lambda: len(cases(manager)) == 3 and cases(manager), timeout=60, what="three cases")
    ids = {name: found[customer]["case_id"] for name, customer in customers.items()}
    for name in ("billing", "web"):  # a manager hands two of them to teams; the third stays unassigned
        r = call(
            casework,
            manager,
            "POST",
            f"/v1/cases/{ids[name]}/transitions",
            json={"to": "contacted", "cause": "called", "owner": name},
        )
        assert r.status_code == 200, r.text

    # Ana signs in with her company account: her token says she is an agent of the billing team.
    ana = provider.token("agent", sub="ana@cx.example", lazo_teams=["billing"])
    assert set(cases(ana)) == {customers["billing"]}
    assert call(casework, ana, path=f"/v1/cases/{ids['billing']}").status_code == 200
    for other in ("web", "nobody"):  # another team's case, or one no team owns yet: not there for her
        r = call(casework, ana, path=f"/v1/cases/{ids[other]}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        r = call(casework, ana, "POST", f"/v1/cases/{ids[other]}/transitions", json={"to": "analysing"})
        assert r.status_code == 404, r.text
        r = call(casework, ana, "POST", f"/v1/cases/{ids[other]}/confirmation", json={"solved": True})
        assert r.status_code == 404, r.text
    worked = call(casework, ana, "POST", f"/v1/cases/{ids['billing']}/transitions", json={"to": "analysing"})
    assert worked.status_code == 200 and worked.json()["timeline"][-1]["by"] == "agent:ana@cx.example"
    handed = call(
        casework, ana, "POST", f"/v1/cases/{ids['billing']}/transitions", json={"to": "responded", "owner": "web"}
    )
    assert handed.status_code == 422 and handed.json()["errors"][0]["field"] == "owner", handed.text

    # A key can be held to teams too (LAZO_API_KEYS key:agent@web); managers and team-less agents see all.
    assert set(cases(TEAM_KEY)) == {customers["web"]}
    assert call(casework, TEAM_KEY, path=f"/v1/cases/{ids['billing']}").status_code == 404
    assert set(cases(provider.token("manager", lazo_teams=["billing"]))) == set(customers.values())
    assert set(cases(provider.token("agent"))) == set(customers.values())
    assert set(cases(KEYS["agent"])) == set(customers.values())
