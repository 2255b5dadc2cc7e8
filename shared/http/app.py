"""The app factory every service uses: lifespan-owned runtime, problem+json, keys, ops routes."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers

from shared.http import docs, problems
from shared.http.audit import AuditTrail
from shared.http.auth import Authenticator
from shared.http.deadletters import router as dead_letters_router
from shared.http.gate import Gate
from shared.http.nul import nul_in_target
from shared.http.ratelimit import PerKeyRateLimit, RateLimiter
from shared.http.throttle import FailedAuthThrottle
from shared.i18n import current_language, negotiate
from shared.logsafe import WithoutExceptionText
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.runtime import Runtime
from shared.settings import Settings

log = logging.getLogger("lazo.http")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)-5s %(name)s: %(message)s")
    # No exception's text in any log line: it may quote personal data (shared.logsafe).
    safe = WithoutExceptionText()
    for handler in (*logging.getLogger().handlers, *logging.getLogger("uvicorn").handlers):
        if not any(isinstance(f, WithoutExceptionText) for f in handler.filters):
            handler.addFilter(safe)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)


# Kept here for the routers not yet moved to shared.http.deps.
from shared.http.deps import RuntimeDep, SessionDep, get_runtime  # noqa: E402,F401


class _Guard:
    """Pure ASGI middleware, outermost but for CORS: request metrics, and the refusal of NUL
    characters in the request line (shared.http.nul). Bodies are the gate's (shared.http.gate)."""

    def __init__(self, app, service: str):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # The language problems are answered in (shared.i18n), for this request's task only.
        current_language.set(negotiate(Headers(scope=scope).get("accept-language")))
        where = nul_in_target(scope.get("path", ""), scope.get("query_string", b""))
        if where:
            resp = problems.problem_response(
                422,
                "Invalid input",
                f"{where}: NUL characters are not accepted",
                instance=scope.get("path", "").replace("\x00", ""),
                errors=[{"field": where, "message": "NUL characters are not accepted"}],
            )
            return await resp(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, path, scope["method"], status["code"]).inc()
            HTTP_LATENCY.labels(self.service, path).observe(time.perf_counter() - start)


def ops_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        """503 naming the failing checks (`failing`) when a dependency is away, or the outbox or a
        consumer is stuck; `details` has the figures (oldest outbox row, lag, pending dead letters)."""
        report = await runtime.report()
        failing = [name for name, ok in report["checks"].items() if not ok]
        return JSONResponse(
            {"status": "unavailable" if failing else "ready", "failing": failing, **report},
            status_code=503 if failing else 200,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


# Newer FastAPI releases trace every request natively, reading the OpenTelemetry provider per
# request; Lazo exports Prometheus metrics instead, so that cost buys nothing here.
_NO_NATIVE_TELEMETRY = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def build_app(
    service: str,
    settings: Settings,
    *,
    routers: Sequence[APIRouter],
    make_runtime: Callable[[Settings], Runtime],
    description: str = "",
    rate_limited: bool = False,
) -> FastAPI:
    """`rate_limited`: requests per API key are limited (shared.http.ratelimit; ingest)."""
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime = make_runtime(settings)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await app.state.authenticator.aclose()

    # /docs is Lazo's own (shared.http.docs: Swagger UI from this origin, not a CDN); no ReDoc page.
    app = FastAPI(
        title=f"Lazo {service}",
        version="1.0.0",
        description=description,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        **_NO_NATIVE_TELEMETRY,
    )
    app.state.settings = settings
    app.state.authenticator = Authenticator.from_settings(settings)
    problems.install(app)
    app.include_router(ops_router())
    app.include_router(docs.router())
    app.include_router(dead_letters_router())
    for router in routers:
        app.include_router(router)
    # Innermost: nothing reaches a route's body before its door let the request in.
    app.add_middleware(
        Gate,
        service=service,
        router=app.router,
        auth=app.state.authenticator,
        throttle=FailedAuthThrottle.from_settings(settings),
    )
    # Just outside the gate: records what the gate let in (reads of personal data, changes).
    app.add_middleware(AuditTrail, service=service)
    if rate_limited:  # inside the guard, so that refused requests are counted in the metrics too
        app.add_middleware(PerKeyRateLimit, limiter=RateLimiter.from_settings(settings), auth=app.state.authenticator)
    app.add_middleware(_Guard, service=service)
    # Outermost, so problem+json answers carry the CORS headers too. The key travels in a header
    # (no cookies), hence no credentials; the dashboard's origin(s) come from Settings.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list(),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        expose_headers=["Retry-After", "Content-Disposition"],
        max_age=600,
    )
    return app


def serve(service: str, app_factory: str) -> None:
    """Entry point of `python -m services.<name>`: uvicorn on the service's port."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port_of(service),
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
