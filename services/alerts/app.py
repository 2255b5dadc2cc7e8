"""alerts: skeleton with health, readiness and metrics; its logic arrives with the next issue."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.http.app import build_app
from shared.runtime import Runtime
from shared.settings import Settings
from services.alerts.models import messaging

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app("alerts", settings, routers=[],
                     make_runtime=lambda s: Runtime("alerts", s, migrations=MIGRATIONS, messaging=messaging))
