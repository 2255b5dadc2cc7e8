"""Ingest: the front door for survey responses. Stateless: the broker is its only store."""

from __future__ import annotations

from fastapi import FastAPI

from shared.events import Topic
from shared.follower import TopicFollower
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.settings import Settings
from services.ingest.api import responses
from services.ingest.domain.programs import ProgramCatalog


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalog = ProgramCatalog()

    def make_runtime(s: Settings) -> Runtime:
        runtime = Runtime("ingest", s)
        follower = TopicFollower(s, Topic.PROGRAMS, catalog.apply)
        runtime.after_boot(follower.start, follower.stop)
        runtime.add_check("programs", follower.caught_up.is_set)
        return runtime

    app = build_app("ingest", settings, routers=[responses.router], make_runtime=make_runtime,
                    description="Accepts survey responses (canonical JSON and platform webhooks).")
    app.state.programs = catalog
    return app
