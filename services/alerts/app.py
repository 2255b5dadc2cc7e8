"""Alerts: selects customers from their scores, raises detractor alerts (or holds them out as
the control group) and pushes them to contact centers."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from shared.egress import Egress
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.alerts import handlers
from services.alerts.api import alerts, export, rules, subscriptions
from services.alerts.dispatcher import Dispatcher
from services.alerts.domain.retry import RetryPolicy
from services.alerts.models import messaging, tombstones

SERVICE = "alerts"
MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER_GROUP = "alerts"


def make_runtime(settings: Settings, box: SecretBox) -> Runtime:
    runtime = Runtime(SERVICE, settings, migrations=MIGRATIONS, messaging=messaging)
    guard = ErasureGuard(SERVICE, tombstones, CustomerDigest.from_settings(settings))
    runtime.provide(box)
    egress = runtime.provide(Egress(settings.allow_private_targets))
    policy = RetryPolicy(base_s=settings.delivery_backoff_s, max_age=timedelta(hours=settings.delivery_max_age_h))
    dispatcher = Dispatcher(runtime.uow, policy, box, timeout_s=settings.delivery_timeout_s, egress=egress)
    runtime.after_boot(dispatcher.start, dispatcher.stop)
    runtime.use_bus(
        CONSUMER_GROUP,
        handlers.table(
            guard, runtime.clock, dashboard_url=settings.dashboard_link_base(), pushes_due=dispatcher.notify
        ),
    )
    runtime.use_bus(f"{SERVICE}-erasure", handlers.erasure_table(guard))
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # At once, not at start-up: a key that cannot be read (or made) stops the service before it serves.
    box = SecretBox.from_settings(settings)
    return build_app(
        SERVICE,
        settings,
        routers=[alerts.router, rules.router, subscriptions.router, export.router],
        make_runtime=partial(make_runtime, box=box),
        description="Detractor alerts: selection rules, cool-down, control group, push delivery.",
    )
