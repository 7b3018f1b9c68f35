"""One JSON error shape for every failure: ``{"error": {"code", "message"}}``, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.pool import Overloaded
from retriever import (
    BackendUnavailable,
    DocumentTooLarge,
    UnknownDocument,
    UnreadableDocument,
    UnsupportedFormat,
    UsageError,
)

logger = logging.getLogger(__name__)


class InvalidInput(ValueError):
    """A request that is well-formed JSON but asks for something the service refuses."""


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}}, headers=headers)


_REFUSALS: dict[type[Exception], tuple[int, str]] = {
    DocumentTooLarge: (413, "document_too_large"),
    UnsupportedFormat: (415, "unsupported_format"),
    UnreadableDocument: (422, "unreadable_document"),
    UnknownDocument: (404, "not_found"),
    UsageError: (409, "conflict"),
}
"""The library's refusals of a document change, as the status and code each answers with."""

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        where = ".".join(map(str, loc))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def _retry_later(request: Request, code: str, reason: str) -> JSONResponse:
    """A 503 that asks the client to come back after the configured Retry-After."""
    retry_after = request.app.state.settings.retry_after_seconds
    return error_response(
        503, code, f"{reason}; retry in {retry_after} s", headers={"Retry-After": str(retry_after)}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return error_response(422, "invalid_request", str(exc))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)

    async def _refused(_: Request, exc: Exception) -> JSONResponse:
        status, code = next(_REFUSALS[kind] for kind in type(exc).__mro__ if kind in _REFUSALS)
        return error_response(status, code, str(exc))

    for refusal in _REFUSALS:
        app.add_exception_handler(refusal, _refused)

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        request.app.state.metrics.overloaded.inc()
        return _retry_later(request, "overloaded", f"the server is busy ({exc})")

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> JSONResponse:
        logger.error("index store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return _retry_later(request, "index_unavailable", "the index store did not answer")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error; the server log has the details")
