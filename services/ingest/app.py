"""Ingest: the front door for survey responses.

Canonical responses (`POST /v1/responses`) go straight to the broker with no database on the way.
Platform webhooks use ingest's own database: their sources, the quarantine, pending API fetches,
and the outbox that publishes them (services.ingest.intake says why).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.egress import Egress
from shared.erasure import consume_erasures
from shared.events import Topic
from shared.follower import TopicFollower
from shared.http.app import build_app
from shared.limits import ResponseBounds
from shared.runtime import Runtime
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.ingest import erasure
from services.ingest.api import quarantine, responses, sources, webhooks
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.fetcher import FetchWorker
from services.ingest.intake import Intake
from services.ingest.models import messaging, tombstones
from services.ingest.replays import ReplayWindow

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalog = ProgramCatalog()
    box = SecretBox.from_settings(settings)
    egress = Egress(settings.allow_private_targets)
    bounds = ResponseBounds.from_settings(settings)

    def make_runtime(s: Settings) -> Runtime:
        runtime = Runtime("ingest", s, migrations=MIGRATIONS, messaging=messaging)
        guard = ErasureGuard("ingest", tombstones, CustomerDigest.from_settings(s))
        follower = TopicFollower(s, Topic.PROGRAMS, catalog.apply)
        runtime.after_boot(follower.start, follower.stop)
        runtime.add_check("programs", follower.caught_up.is_set)
        intake = Intake(runtime, catalog, box, bounds)
        intake.erased = guard
        fetcher = FetchWorker(runtime, intake, egress=egress, max_bytes=s.outbound_max_bytes)
        runtime.after_boot(fetcher.start, fetcher.stop)
        replays = ReplayWindow(runtime, s.webhook_replay_window_h)
        runtime.after_boot(replays.start, replays.stop)
        consume_erasures(runtime, erasure.erase, guard)
        app.state.intake = intake
        return runtime

    app = build_app("ingest", settings,
                    routers=[responses.router, webhooks.router, sources.router, quarantine.router],
                    make_runtime=make_runtime, rate_limited=True,
                    description="Accepts survey responses: canonical JSON, and survey platforms' own webhooks "
                                "(Typeform, Tally, Formbricks, SurveyMonkey, Qualtrics, generic JSON) verified "
                                "by their signatures and mapped by configuration.")
    app.state.programs = catalog
    app.state.bounds = bounds
    app.state.secret_box = box
    app.state.egress = egress
    return app
