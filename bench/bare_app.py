"""The ceiling for ingest's single POST: a bare FastAPI route on the same uvicorn settings.

It parses the same JSON body and answers 202 like ingest does, but does nothing else: no
validation against a programme, no authentication, no broker. `python -m bench.bare_app PORT`.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, status


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/v1/responses", status_code=status.HTTP_202_ACCEPTED)
    async def post_response(body: dict[str, Any]) -> dict:
        return {"response_id": body.get("response_id"), "status": "accepted"}

    return app


if __name__ == "__main__":
    # The arguments shared.http.app.serve gives uvicorn for every service.
    uvicorn.run(
        "bench.bare_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
