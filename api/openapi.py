"""The OpenAPI schema states the configured input limits, which the routes enforce with readable messages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.schemas import VISIBLE, ErrorResponse
from retriever.config import Settings

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON or not valid UTF-8."},
    413: {"model": ErrorResponse, "description": "The body is larger than the configured limit."},
    422: {"model": ErrorResponse, "description": "An input is missing, of the wrong type or out of range."},
    503: {
        "model": ErrorResponse,
        "description": "Every search thread is busy and the queue is full, or the index store (Milvus) did not "
        "answer; see Retry-After.",
    },
}
"""The errors a search or question can meet, for the routes' ``responses``."""

ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "The bearer token is missing or wrong."},
    403: {"model": ErrorResponse, "description": "No admin token is configured, so admin endpoints are off."},
}
"""The refusals of an endpoint behind the admin token."""


def state_limits(app: FastAPI, settings: Settings) -> None:
    """Make ``app.openapi()`` carry ``settings``' query-length and top_k limits."""
    text = {"minLength": 1, "maxLength": settings.max_query_chars, "pattern": VISIBLE}
    top_k = {"minimum": 1, "maximum": settings.max_top_k}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            models = schema["components"]["schemas"]
            models["SearchRequest"]["properties"]["query"].update(text)
            models["SearchRequest"]["properties"]["top_k"]["anyOf"][0].update(top_k)
            models["AskRequest"]["properties"]["question"].update(text)
            for parameter in schema["paths"]["/search"]["get"]["parameters"]:
                if parameter["name"] == "q":
                    parameter["schema"].update(text)
                elif parameter["name"] == "top_k":
                    parameter["schema"]["anyOf"][0].update(top_k)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
