"""scoring: skeleton with health, readiness and metrics; its logic arrives with the next issue."""

from __future__ import annotations

from fastapi import FastAPI

from shared.http.app import build_app
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app("scoring", settings, routers=[], make_runtime=lambda s: Runtime("scoring", s))
