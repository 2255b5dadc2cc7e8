"""casework: cases opened from alerts and worked until the customer confirms the fix; renewal
outcomes, the control-group experiment and the case KPIs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.http.app import build_app
from shared.http.dashboard import router as dashboard_router
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.casework import handlers
from services.casework.api import cases, experiments, kpis, outcomes, slas
from services.casework.models import messaging, tombstones
from services.casework.sla_watch import SlaWatch

SERVICE = "casework"
MIGRATIONS = Path(__file__).parent / "migrations"


def make_runtime(settings: Settings) -> Runtime:
    runtime = Runtime(SERVICE, settings, migrations=MIGRATIONS, messaging=messaging)
    guard = ErasureGuard(SERVICE, tombstones, CustomerDigest.from_settings(settings))
    runtime.use_bus(SERVICE, handlers.table(guard, runtime.clock, earliest=settings.submitted_at_earliest))
    runtime.use_bus(f"{SERVICE}-erasure", handlers.erasure_table(guard))
    watch = SlaWatch(runtime.uow, runtime.clock, settings.sla_check_interval_s)
    runtime.after_boot(watch.start, watch.stop)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    routers = [cases.router, slas.router, outcomes.router, experiments.router, kpis.router, dashboard_router()]
    return build_app(SERVICE, settings or Settings(), routers=routers, make_runtime=make_runtime,
                     description="Cases opened from detractor alerts, worked through the closed loop until the "
                                 "customer confirms the fix; SLAs per programme; renewal outcomes, the "
                                 "control-group experiment and case KPIs.")
