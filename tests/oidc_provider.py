"""A small OpenID provider on loopback for the tests: a real HTTP server serving the discovery
document and the key set, and tokens signed with keys the test makes (nothing inside Lazo mocked)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "lazo-api"


class OpenIdProvider:
    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.jwks_hits = 0
        self._lock = threading.Lock()
        self.current = self.add_key()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": outer.issuer, "jwks_uri": f"{outer.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path == "/jwks":
                    with outer._lock:
                        outer.jwks_hits += 1
                        body = {"keys": [outer.jwk(kid) for kid in outer.published]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

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

    def token(self, role: str | None = "agent", *, sub: str = "ana@cx.example", kid: str | None = None,
              **claims) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600, **claims}
        if role is not None:
            body["lazo_role"] = role
        kid = kid or self.current
        return jwt.encode({k: v for k, v in body.items() if v is not None}, self.keys[kid], algorithm="RS256",
                          headers={"kid": kid})

    def env(self, **extra: str) -> dict[str, str]:
        """What a service needs to trust this provider."""
        return {"LAZO_OIDC_ISSUER": self.issuer, "LAZO_OIDC_AUDIENCE": AUDIENCE,
                "LAZO_OIDC_ALLOW_PRIVATE": "true", **extra}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
