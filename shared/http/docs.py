"""Each service's API docs at `/docs`: Swagger UI served by the service itself, from the files of
the `swagger-ui-bundle-v2` package (Swagger UI's own release, Apache-2.0), so the page works
offline and nothing third-party runs on the service's origin (FastAPI's default page loads its
bundle from a CDN). The page, its one script and the bundle are served under a Content-Security-
Policy that allows this origin only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from shared.errors import NotFound
from shared.http.headers import security_headers

PAGE = Path(__file__).resolve().parent / "docs_page"
# Swagger UI builds its page with inline styles (React style attributes); scripts stay this origin's.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SWAGGER_UI = Path(str(swagger_ui_path))
FILES = {
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css; charset=utf-8"),
    "init.js": (PAGE / "init.js", "text/javascript; charset=utf-8"),
}


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    headers = {**security_headers(POLICY), "Cache-Control": "no-cache"}

    @r.get("/docs")
    async def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", media_type="text/html; charset=utf-8", headers=headers)

    @r.get("/docs/{name}")
    async def asset(name: str) -> FileResponse:
        found = FILES.get(name)  # only these files, by name: no path from the request reaches the disk
        if found is None:
            raise NotFound(f"no docs file '{name}'")
        return FileResponse(found[0], media_type=found[1], headers=headers)

    return r
