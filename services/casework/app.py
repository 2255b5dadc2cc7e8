"""casework: cases opened from alerts and worked until the customer confirms the fix; renewal
outcomes, the control-group experiment and the case KPIs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.erasure import consume_erasures
from shared.http.app import build_app
from shared.http.dashboard import router as dashboard_router
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.casework import erasure
from services.casework.api import cases, experiments, kpis, outcomes, slas
from services.casework.consumer import GROUP, TOPICS, CaseworkConsumer
from services.casework.models import messaging, tombstones
from services.casework.sla_watch import SlaWatch

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    def make_runtime(s: Settings) -> Runtime:
        runtime = Runtime("casework", s, migrations=MIGRATIONS, messaging=messaging)
        guard = ErasureGuard("casework", tombstones, CustomerDigest.from_settings(s))
        runtime.add_consumer(GROUP, TOPICS, CaseworkConsumer(runtime, guard).handle)
        consume_erasures(runtime, erasure.erase, guard)
        watch = SlaWatch(runtime, s.sla_check_interval_s)
        runtime.after_boot(watch.start, watch.stop)
        return runtime

    routers = [cases.router, slas.router, outcomes.router, experiments.router, kpis.router, dashboard_router()]
    return build_app("casework", settings, routers=routers, make_runtime=make_runtime,
                     description="Cases opened from detractor alerts, worked through the closed loop until the "
                                 "customer confirms the fix; SLAs per programme; renewal outcomes, the "
                                 "control-group experiment and case KPIs.")
