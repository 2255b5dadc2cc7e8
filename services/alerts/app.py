"""Alerts: selects customers from their scores, raises detractor alerts (or holds them out as
the control group) and pushes them to contact centers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from shared.erasure import consume_erasures
from shared.events import Envelope, Topic
from shared.egress import Egress
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.alerts import erasure, service
from services.alerts.api import alerts, rules, subscriptions
from services.alerts.dispatcher import Dispatcher
from services.alerts.domain.retry import RetryPolicy
from services.alerts.models import messaging, tombstones

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER_GROUP = "alerts"


def make_runtime(settings: Settings, box: SecretBox) -> Runtime:
    runtime = Runtime("alerts", settings, migrations=MIGRATIONS, messaging=messaging)
    guard = ErasureGuard("alerts", tombstones, CustomerDigest.from_settings(settings))
    policy = RetryPolicy(base_s=settings.delivery_backoff_s, max_age=timedelta(hours=settings.delivery_max_age_h))
    dispatcher = Dispatcher(runtime, policy, box, timeout_s=settings.delivery_timeout_s,
                            egress=Egress(settings.allow_private_targets))

    async def handle(envelopes: Sequence[Envelope]) -> None:
        applied = await service.apply_scores(runtime.sessions, guard, envelopes,
                                             dashboard_url=settings.dashboard_link_base())
        if applied.events:
            runtime.notify_outbox()
        if applied.deliveries:
            dispatcher.notify()

    runtime.after_boot(dispatcher.start, dispatcher.stop)
    runtime.add_consumer(CONSUMER_GROUP, [Topic.SCORES], handle)
    consume_erasures(runtime, erasure.erase, guard)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    box = SecretBox.from_settings(settings)
    app = build_app("alerts", settings, routers=[alerts.router, rules.router, subscriptions.router],
                    make_runtime=lambda s: make_runtime(s, box),
                    description="Detractor alerts: selection rules, cool-down, control group, push delivery.")
    app.state.secret_box = box
    app.state.egress = Egress(settings.allow_private_targets)
    return app
