"""Scoring: turns survey responses into IECs and segments, owns the survey programmes, and
answers for customers, responses and KPIs; takes erasure requests and follows their progress."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from shared.erasure import consume_erasures
from shared.events import Topic
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.scoring import erasure, service
from services.scoring.api import customers, kpis, programs, responses
from services.scoring.api import erasure as erasure_api
from services.scoring.models import messaging, tombstones

MIGRATIONS = Path(__file__).parent / "migrations"


def make_runtime(settings: Settings, guard: ErasureGuard | None = None) -> Runtime:
    guard = guard or ErasureGuard("scoring", tombstones, CustomerDigest.from_settings(settings))
    runtime = Runtime("scoring", settings, migrations=MIGRATIONS, messaging=messaging)
    runtime.add_consumer("scoring", [Topic.RESPONSES], partial(service.score_batch, runtime, guard))
    runtime.after_boot(partial(service.republish_programs, runtime))
    consume_erasures(runtime, erasure.erase, guard, track=partial(erasure.track_progress, guard))
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    guard = ErasureGuard("scoring", tombstones, CustomerDigest.from_settings(settings))
    app = build_app("scoring", settings, routers=[customers.router, erasure_api.router, responses.router,
                                                  kpis.router, programs.router],
                    make_runtime=partial(make_runtime, guard=guard),
                    description="Scores survey responses (IEC, segment), owns survey programmes, reports KPIs.")
    app.state.erasure_guard = guard
    return app
