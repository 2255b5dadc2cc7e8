"""Every error leaves as application/problem+json (RFC 9457), mapped here and nowhere else."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Problem,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from shared.i18n import SOURCE, current_language, translate, translate_detail
from shared.logsafe import describe
from shared.validation import validation_errors

log = logging.getLogger("lazo.http")

PROBLEM_JSON = "application/problem+json"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """In the request's language (shared.i18n: `title`, `detail` and each error's `message`; field
    names and values stay as the API spells them)."""
    language = current_language.get()
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": translate(title, language),
        "status": status,
        "detail": translate_detail(detail, language),
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    if language != SOURCE and isinstance(body.get("errors"), list):
        body["errors"] = [
            {**e, "message": translate(e["message"], language)}
            if isinstance(e, dict) and isinstance(e.get("message"), str)
            else e
            for e in body["errors"]
        ]
    headers = {**(headers or {}), "Content-Language": language}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Each kind of failure (shared.errors) and its HTTP status and title: here and nowhere else.
STATUS: dict[type[Problem], tuple[int, str]] = {
    InvalidInput: (422, "Invalid input"),
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    Unauthorized: (401, "Unauthorized"),
    Forbidden: (403, "Forbidden"),
    PayloadTooLarge: (413, "Payload too large"),
    TooManyRequests: (429, "Too many requests"),
    Unavailable: (503, "Service unavailable"),
}


def status_of(exc: Problem) -> tuple[int, str]:
    """The status and title of a problem: its nearest kind's (the first in its MRO)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500, "Internal error"


def answer(exc: Problem, instance: str | None) -> JSONResponse:
    """The problem+json answer to a Problem, wherever it was raised (a route, or the gate)."""
    status, title = status_of(exc)
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return problem_response(
        status, title, exc.detail, instance=instance, headers=headers, errors=exc.errors, **exc.extra
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return answer(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(list(exc.errors()))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10])
        return problem_response(422, "Invalid input", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            400: "Bad request",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
            415: "Unsupported media type",
            422: "Invalid input",
            429: "Too many requests",
        }.get(exc.status_code, "HTTP error")
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
            errors=getattr(exc, "errors", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        from shared.transient import is_retriable

        if is_retriable(exc):
            log.warning("dependency unavailable on %s: %s", request.url.path, exc)
            return problem_response(
                503,
                "Service unavailable",
                "a dependency is unavailable; retry shortly",
                instance=request.url.path,
                headers={"Retry-After": "2"},
            )
        # Frames, not the message: it may quote the request's personal data (shared.logsafe).
        log.error("unhandled error on %s: %s", request.url.path, describe(exc))
        return problem_response(500, "Internal error", "an unexpected error occurred", instance=request.url.path)
