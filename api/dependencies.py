"""What routes receive by injection: the served retriever, the search pool and validated inputs."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import InvalidInput
from api.pool import SearchPool
from api.schemas import SearchFilters
from retriever import Filters, Retriever, Settings

_bearer = HTTPBearer(auto_error=False)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""JSON can carry an unpaired surrogate (``"\\ud800"``), which is not a character and cannot be encoded back."""


def get_retriever(request: Request) -> Retriever:
    """The index being served, read once per request so that a reload never mixes two indexes in one answer."""
    return request.app.state.slot.retriever


def get_pool(request: Request) -> SearchPool:
    return request.app.state.pool


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def checked_text(text: str, settings: Settings, field: str) -> str:
    """Strip a query and enforce the configured length limit."""
    text = text.strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty or whitespace only")
    if len(text) > settings.max_query_chars:
        raise InvalidInput(f"{field}: longer than {settings.max_query_chars} characters ({len(text)})")
    if bad := _SURROGATE.search(text):
        raise InvalidInput(f"{field}: contains an unpaired surrogate (U+{ord(bad.group()):04X}), which is not a character")
    return text


def checked_top_k(top_k: int | None, settings: Settings) -> int:
    if top_k is None:
        return settings.default_top_k
    if not 1 <= top_k <= settings.max_top_k:
        raise InvalidInput(f"top_k: must be between 1 and {settings.max_top_k} (got {top_k})")
    return top_k


def checked_filters(filters: SearchFilters | None) -> Filters | None:
    """The request's filters as the library takes them (a range that ends before it starts is valid and matches no
    document, as any date without articles would)."""
    return filters.to_filters() if filters is not None else None


def require_admin(
    settings: Annotated[Settings, Depends(get_app_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the configured bearer token (403 when none is configured)."""
    if settings.admin_token is None:
        raise HTTPException(403, "admin endpoints are disabled: set RETRIEVER_ADMIN_TOKEN to enable them")
    expected = settings.admin_token.get_secret_value().encode()
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"})
