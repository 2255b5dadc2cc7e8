"""The ops dashboard: static files (no build step) served at /dashboard/, and the services' URLs.

The page is public (it holds no data); everything it shows comes from the /v1 APIs, called from
the browser with the API key the user enters. Casework mounts this router; the other services
answer the page cross-origin (CORS in shared.http.app).

Every answer carries a Content-Security-Policy: scripts and styles from this origin only (no
inline script, none from elsewhere), calls only to this origin and the services' own, no framing
(`frame-ancestors 'none'`, `X-Frame-Options: DENY`), no MIME sniffing, no referrer. A key typed
into the page can then only ever travel to Lazo's services. With single sign-on, the page may also
call the identity provider's origin (discovery and the token endpoint of the PKCE exchange).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from shared.egress import origin_of
from shared.errors import NotFound
from shared.http.deps import SettingsDep
from shared.http.headers import security_headers
from shared.settings import SERVICES, Settings

STATIC = Path(__file__).resolve().parent.parent / "dashboard"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# The page's text, one catalogue per language (i18n/en.json, i18n/es.json: same keys).
CATALOGUES = STATIC / "i18n"
LANGUAGES = ("en", "es")
# Small files that change with each release: revalidate rather than serve a stale page.
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# uPlot and app.js set styles through the CSSOM (element.style), which style-src does not restrict.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {origins}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})


def public_urls(settings: Settings, request_netloc: str) -> dict[str, str]:
    """Each service's base URL as the browser must call it. A wildcard bind (0.0.0.0, as in the
    container image) is no address to call: the browser uses the host it reached casework on."""
    host = settings.host
    if host in WILDCARD_HOSTS and request_netloc:
        # netloc is host[:port]; an IPv6 host keeps its brackets
        has_port = ":" in request_netloc and not request_netloc.endswith("]")
        host = request_netloc.rpartition(":")[0] if has_port else request_netloc
    return {service: f"http://{host}:{settings.port_of(service)}" for service in SERVICES}


def sign_in(settings: Settings) -> dict[str, str] | None:
    """What the page needs to sign in with the identity provider (authorization code with PKCE),
    or None when the dashboard has no client there."""
    if not (settings.oidc_issuer and settings.oidc_dashboard_client_id):
        return None
    return {
        "issuer": settings.oidc_issuer,
        "client_id": settings.oidc_dashboard_client_id,
        "scope": settings.oidc_dashboard_scope,
        "audience": settings.oidc_audience or "",
    }


def page_headers(settings: Settings, request_netloc: str) -> dict[str, str]:
    """The dashboard's headers: its policy lets the page call the services' URLs (and the identity
    provider's, for its discovery document and token endpoint, when it signs in there) and nothing else."""
    origins = set(public_urls(settings, request_netloc).values())
    if sign_in(settings):
        origins.add(origin_of(settings.oidc_issuer))
    return {**HEADERS, **security_headers(POLICY.format(origins=" ".join(sorted(origins))))}


def router() -> APIRouter:
    # Only the files shipped in the folder, by name: no path from the request reaches the disk.
    files = {p.name: p for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES}
    catalogues = {f"{lang}.json": CATALOGUES / f"{lang}.json" for lang in LANGUAGES}
    r = APIRouter(prefix="/dashboard", include_in_schema=False)

    @r.get("")
    async def to_index() -> RedirectResponse:
        return RedirectResponse("/dashboard/", status_code=308)

    @r.get("/config.json")
    async def config(request: Request, settings: SettingsDep) -> JSONResponse:
        provider = sign_in(settings)
        return JSONResponse(
            {"services": public_urls(settings, request.url.netloc), **({"sign_in": provider} if provider else {})},
            headers=page_headers(settings, request.url.netloc),
        )

    @r.get("/i18n/{name}")
    async def catalogue(request: Request, settings: SettingsDep, name: str) -> FileResponse:
        path = catalogues.get(name)
        if path is None:
            raise NotFound(f"no dashboard catalogue '{name}'")
        return FileResponse(
            path, media_type="application/json; charset=utf-8", headers=page_headers(settings, request.url.netloc)
        )

    @r.get("/")
    @r.get("/{name}")
    async def static(request: Request, settings: SettingsDep, name: str = "index.html") -> FileResponse:
        path = files.get(name)
        if path is None:
            raise NotFound(f"no dashboard file '{name}'")
        return FileResponse(
            path, media_type=MEDIA_TYPES[path.suffix], headers=page_headers(settings, request.url.netloc)
        )

    return r
