"""surveys: plans the monthly emotional survey and the follow-up that closes each case; contacts,
plans, invitations with signed tokens, contact rules, reminders and expiry."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI

from shared.clock import FixedClock, SystemClock
from shared.erasure import consume_erasures
from shared.http.app import build_app
from shared.runtime import Runtime
from shared.secretfile import read_or_create
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from services.surveys import erasure
from services.surveys.api import contacts, export, invitations, plans, unsubscribe
from services.surveys.domain.tokens import TokenKeys
from services.surveys.handlers import handlers
from services.surveys.models import messaging, tombstones
from services.surveys.planner import Planner

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "surveys"
TOKEN_KEY_FILE = "survey-token-key"


def token_keys(settings: Settings) -> TokenKeys:
    """LAZO_SURVEY_TOKEN_KEYS (newest first), or one key generated once in var/ for development."""
    if settings.survey_token_keys:
        return TokenKeys([k.strip() for k in settings.survey_token_keys.split(",") if k.strip()])
    return TokenKeys([read_or_create(settings.var_dir / TOKEN_KEY_FILE, lambda: secrets.token_hex(32))])


def make_runtime(settings: Settings) -> Runtime:
    clock = FixedClock(SystemClock().now()) if settings.surveys_clock == "manual" else SystemClock()
    runtime = Runtime("surveys", settings, migrations=MIGRATIONS, messaging=messaging, clock=clock)
    guard = ErasureGuard("surveys", tombstones, CustomerDigest.from_settings(settings))
    keys = runtime.provide(token_keys(settings), TokenKeys)
    planner = runtime.provide(Planner(runtime, keys))
    runtime.use_bus(GROUP, handlers(guard, clock, keys))
    consume_erasures(runtime, erasure.erase, guard)
    runtime.after_boot(planner.start, planner.stop)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        "surveys",
        settings,
        make_runtime=make_runtime,
        routers=[contacts.router, plans.router, invitations.router, unsubscribe.router, export.router],
        description="The survey planner: contacts, monthly plans per programme, invitations with "
        "signed links, contact rules, reminders, expiry, and the follow-up that closes "
        "each case.",
    )
