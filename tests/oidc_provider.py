"""A small OpenID provider on loopback for the tests: a real HTTP server serving the discovery
document and the key set, and tokens signed with keys the test makes (nothing inside Lazo mocked).

It also signs a browser in (authorization code with PKCE, RFC 7636): `/authorize` approves at
once as `login_as` and sends the browser back with a code; `/token` gives the access token for
the code only against the verifier whose S256 challenge came with it, for the same client and
redirect URI. Its answers allow any origin (CORS), as providers do for single-page apps."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "lazo-api"


class OpenIdProvider:
    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.jwks_hits = 0
        self.client_id = "lazo-dashboard"
        self.login_as: dict = {"sub": "ana@cx.example", "lazo_role": "agent"}
        self.codes: dict[str, dict] = {}
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self.current = self.add_key()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("access-control-allow-origin", "*")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path == "/.well-known/openid-configuration":
                    self.answer(
                        200,
                        {
                            "issuer": outer.issuer,
                            "jwks_uri": f"{outer.issuer}/jwks",
                            "authorization_endpoint": f"{outer.issuer}/authorize",
                            "token_endpoint": f"{outer.issuer}/token",
                            "code_challenge_methods_supported": ["S256"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif path == "/jwks":
                    with outer._lock:
                        outer.jwks_hits += 1
                        keys = [outer.jwk(kid) for kid in outer.published]
                    self.answer(200, {"keys": keys})
                elif path == "/authorize":
                    self.authorize({k: v[0] for k, v in parse_qs(query).items()})
                else:
                    self.send_error(404)

            def authorize(self, q: dict) -> None:
                if (
                    q.get("response_type") != "code"
                    or q.get("client_id") != outer.client_id
                    or q.get("code_challenge_method") != "S256"
                    or not q.get("code_challenge")
                    or urlsplit(q.get("redirect_uri", "")).hostname != "127.0.0.1"
                ):
                    self.answer(400, {"error": "invalid_request"})
                    return
                code = secrets.token_urlsafe(16)
                with outer._lock:
                    outer.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"]}
                self.send_response(302)
                back = urlencode({"code": code, "state": q.get("state", "")})
                self.send_header("location", f"{q['redirect_uri']}?{back}")
                self.send_header("content-length", "0")
                self.end_headers()

            def do_POST(self):
                if self.path != "/token":
                    self.send_error(404)
                    return
                form = {
                    k: v[0]
                    for k, v in parse_qs(self.rfile.read(int(self.headers.get("content-length", 0))).decode()).items()
                }
                with outer._lock:
                    grant = outer.codes.pop(form.get("code", ""), None)  # a code works once
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if (
                    grant is None
                    or form.get("grant_type") != "authorization_code"
                    or form.get("client_id") != outer.client_id
                    or form.get("redirect_uri") != grant["redirect_uri"]
                    or challenge != grant["challenge"]
                ):
                    self.answer(400, {"error": "invalid_grant"})
                    return
                claims = dict(outer.login_as)
                outer.tokens_issued += 1
                self.answer(
                    200,
                    {
                        "access_token": outer.token(claims.pop("lazo_role", None), **claims),
                        "token_type": "Bearer",
                        "expires_in": 600,
                    },
                )

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add_key(self, *, publish: bool = True) -> str:
        kid = f"k{len(self.keys) + 1}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            with self._lock:
                self.published.append(kid)
        return kid

    def rotate(self) -> str:
        """A new signing key, published beside the old one (as providers do), used from now on."""
        self.current = self.add_key()
        return self.current

    def jwk(self, kid: str) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key())
        return {**json.loads(public), "kid": kid, "use": "sig", "alg": "RS256"}

    def token(
        self, role: str | None = "agent", *, sub: str = "ana@cx.example", kid: str | None = None, **claims
    ) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600, **claims}
        if role is not None:
            body["lazo_role"] = role
        kid = kid or self.current
        return jwt.encode(
            {k: v for k, v in body.items() if v is not None}, self.keys[kid], algorithm="RS256", headers={"kid": kid}
        )

    def env(self, **extra: str) -> dict[str, str]:
        """What a service needs to trust this provider (and the dashboard to sign in with it)."""
        return {
            "LAZO_OIDC_ISSUER": self.issuer,
            "LAZO_OIDC_AUDIENCE": AUDIENCE,
            "LAZO_OIDC_ALLOW_PRIVATE": "true",
            "LAZO_OIDC_DASHBOARD_CLIENT_ID": self.client_id,
            **extra,
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
