"""Scoring: turns survey responses into IECs and segments, owns the survey programmes, and
answers for customers, responses and KPIs; takes erasure requests and follows their progress."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from shared.http.app import build_app
from shared.limits import SubmissionWindow
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.scoring import handlers, service
from services.scoring.analysis import Analysis
from services.scoring.api import customers, export, kpis, programs, responses, taxonomy
from services.scoring.api import erasure as erasure_api
from services.scoring.models import messaging, tombstones
from services.scoring.reanalysis import Reanalyser

MIGRATIONS = Path(__file__).parent / "migrations"


def make_runtime(settings: Settings) -> Runtime:
    runtime = Runtime("scoring", settings, migrations=MIGRATIONS, messaging=messaging)
    guard = runtime.provide(ErasureGuard("scoring", tombstones, CustomerDigest.from_settings(settings)))
    analysis = runtime.provide(Analysis.from_settings(settings))
    runtime.use_bus("scoring", handlers.responses(guard, SubmissionWindow.from_settings(settings), analysis))
    runtime.use_bus("scoring-erasure", handlers.erasures(guard))
    runtime.after_boot(partial(service.republish_programs, runtime.uow))
    reanalyser = runtime.provide(Reanalyser(runtime.uow, analysis))
    runtime.after_boot(reanalyser.start, reanalyser.stop)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        "scoring",
        settings,
        routers=[
            customers.router,
            erasure_api.router,
            responses.router,
            kpis.router,
            programs.router,
            taxonomy.router,
            export.router,
        ],
        make_runtime=make_runtime,
        description="Scores survey responses (IEC, segment), owns survey programmes, reports KPIs.",
    )
