"""Ingest: the front door for survey responses.

Canonical responses (`POST /v1/responses`) go straight to the broker with no database on the way.
Platform webhooks use ingest's own database: their sources, the quarantine, pending API fetches,
and the outbox that publishes them (services.ingest.service says why).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from shared.background import Every
from shared.egress import Egress
from shared.events import Topic
from shared.follower import TopicFollower
from shared.http.app import build_app
from shared.limits import ResponseBounds
from shared.runtime import Runtime
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.ingest import handlers, service
from services.ingest.api import quarantine, responses, sources, webhooks
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.fetcher import FetchWorker
from services.ingest.models import messaging, tombstones

SERVICE = "ingest"
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger("lazo.ingest")


def make_runtime(settings: Settings, box: SecretBox) -> Runtime:
    runtime = Runtime(SERVICE, settings, migrations=MIGRATIONS, messaging=messaging)
    guard = ErasureGuard(SERVICE, tombstones, CustomerDigest.from_settings(settings))
    catalog = runtime.provide(ProgramCatalog())
    bounds = runtime.provide(ResponseBounds.from_settings(settings))
    egress = Egress(settings.allow_private_targets)
    intake = runtime.provide(service.Intake(runtime.uow, catalog, box, egress, bounds, erased=guard))
    follower = TopicFollower(settings, Topic.PROGRAMS, catalog.apply)
    runtime.after_boot(follower.start, follower.stop)
    runtime.add_check("programs", follower.caught_up.is_set)
    fetcher = FetchWorker(runtime.uow, intake, egress=egress, max_bytes=settings.outbound_max_bytes)
    runtime.after_boot(fetcher.start, fetcher.stop)
    window_h = settings.webhook_replay_window_h
    replays = Every(
        "ingest-replay-window",
        service.replay_sweep_every_s(window_h),
        partial(service.forget_old_deliveries, runtime.uow, window_h),
        log,
    )
    runtime.after_boot(replays.start, replays.stop)
    runtime.use_bus(f"{SERVICE}-erasure", handlers.erasure_table(guard))
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # At once, not at start-up: a key that cannot be read (or made) stops the service before it serves.
    box = SecretBox.from_settings(settings)
    return build_app(
        SERVICE,
        settings,
        routers=[responses.router, webhooks.router, sources.router, quarantine.router],
        make_runtime=partial(make_runtime, box=box),
        rate_limited=True,
        description="Accepts survey responses: canonical JSON, and survey platforms' own webhooks "
        "(Typeform, Tally, Formbricks, SurveyMonkey, Qualtrics, generic JSON) verified "
        "by their signatures and mapped by configuration.",
    )
