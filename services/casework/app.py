"""casework: cases opened from alerts and worked until the customer confirms the fix; renewal
outcomes, the control-group experiment and the case KPIs."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from shared.background import Every
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.casework import handlers, service
from services.casework.api import audit, cases, experiments, export, kpis, outcomes, slas
from services.casework.api.dashboard import router as dashboard_router
from services.casework.models import messaging, tombstones

SERVICE = "casework"
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger("lazo.casework")


def make_runtime(settings: Settings) -> Runtime:
    runtime = Runtime(SERVICE, settings, migrations=MIGRATIONS, messaging=messaging)
    digest = runtime.provide(CustomerDigest.from_settings(settings))  # also GET /v1/audit?customer_id=
    guard = ErasureGuard(SERVICE, tombstones, digest)
    runtime.use_bus(SERVICE, handlers.table(guard, runtime.clock, earliest=settings.submitted_at_earliest))
    runtime.use_bus(f"{SERVICE}-erasure", handlers.erasure_table(guard))
    runtime.use_bus(f"{SERVICE}-audit", handlers.audit_table())
    # The SLA clock: each new breach recorded (and published) once, so a contact center is told
    # without asking (the overdue listing itself needs no clock: it is computed in SQL).
    watch = Every(
        "casework-sla-watch",
        settings.sla_check_interval_s,
        lambda: service.record_breaches(runtime.uow, now=runtime.clock.now()),
        log,
    )
    runtime.after_boot(watch.start, watch.stop)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    routers = [
        cases.router,
        slas.router,
        outcomes.router,
        experiments.router,
        kpis.router,
        audit.router,
        export.router,
        dashboard_router(),
    ]
    return build_app(
        SERVICE,
        settings or Settings(),
        routers=routers,
        make_runtime=make_runtime,
        description="Cases opened from detractor alerts, worked through the closed loop until the "
        "customer confirms the fix; SLAs per programme; renewal outcomes, the "
        "control-group experiment and case KPIs.",
    )
