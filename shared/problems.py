"""RFC 9457 problem details: the one error format of every API, mapped in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.db import database_unavailable

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://gridgov.org/problems/"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
          429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class Problem(Exception):
    """An error that becomes a problem+json response; subclass it for named domain errors."""

    status: int = 400
    kind: str = "bad-request"

    def __init__(self, detail: str, *, status: int | None = None, kind: str | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status or self.status
        self.kind = kind or self.kind
        self.extra = extra or {}
        self.headers = headers


class Unauthorized(Problem):
    status, kind = 401, "unauthorized"


class Forbidden(Problem):
    status, kind = 403, "forbidden"


class NotFound(Problem):
    status, kind = 404, "not-found"


class Conflict(Problem):
    status, kind = 409, "conflict"


class Invalid(Problem):
    status, kind = 422, "validation-error"


_DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {}
# PostgreSQL refuses text it cannot store (a NUL character): the request's fault, not the server's.
UNSTORABLE_TEXT_STATES = ("22021", "22P05")
RETRY_AFTER_SECONDS = "2"  # what a 503 asks clients to wait while the database is unavailable


def register_domain_error(error: type[Exception], *, status: int, kind: str) -> None:
    """Map a domain exception (which must not import fastapi) to a status code."""
    _DOMAIN_ERRORS[error] = (status, kind)


def problem_response(status: int, detail: str, *, kind: str, instance: str = "", extra: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": PROBLEM_TYPE_BASE + kind, "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "instance": instance, **(extra or {})}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "body", "message": item.get("msg", "invalid"), "type": item.get("type", "")})
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(error.status, error.detail, kind=error.kind, instance=request.url.path,
                                extra=error.extra, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = field_errors(error)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(422, detail, kind="validation-error", instance=request.url.path, extra={"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(error.status_code, str(error.detail), kind=TITLES.get(error.status_code, "error").lower()
                                .replace(" ", "-"), instance=request.url.path, headers=getattr(error, "headers", None))

    async def _domain(request: Request, error: Exception) -> JSONResponse:
        for cls in type(error).__mro__:
            if cls in _DOMAIN_ERRORS:
                status, kind = _DOMAIN_ERRORS[cls]
                return problem_response(status, str(error), kind=kind, instance=request.url.path)
        raise error

    for error_class in _DOMAIN_ERRORS:
        app.add_exception_handler(error_class, _domain)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, "internal error; see the service log", kind="internal", instance=request.url.path)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, error: DBAPIError) -> JSONResponse:
        if getattr(error.orig, "sqlstate", None) in UNSTORABLE_TEXT_STATES:
            return problem_response(422, "the text contains characters that cannot be stored (e.g. NUL)",
                                    kind="validation-error", instance=request.url.path)
        if database_unavailable(error):
            return _unavailable(request, error)
        return await _unexpected(request, error)

    @app.exception_handler(ConnectionError)
    async def _connection(request: Request, error: ConnectionError) -> JSONResponse:
        return _unavailable(request, error)  # the driver's connect refused (asyncpg raises it unwrapped)

    def _unavailable(request: Request, error: BaseException) -> JSONResponse:
        log.warning("database unavailable on %s: %s", request.url.path, error)
        detail = "the database is unavailable for a moment; retry shortly (with the same Idempotency-Key, if any)"
        return problem_response(503, detail, kind="database-unavailable", instance=request.url.path,
                                headers={"Retry-After": RETRY_AFTER_SECONDS})
