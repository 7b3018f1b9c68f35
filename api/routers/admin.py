"""Operator endpoints, behind the bearer token in ``RETRIEVER_ADMIN_TOKEN``: POST /admin/reload."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.dependencies import get_app_settings
from api.schemas import ErrorResponse, ReloadResponse, index_version
from retriever import IndexLoadError, Settings

router = APIRouter(prefix="/admin", tags=["admin"])
_bearer = HTTPBearer(auto_error=False)


def require_admin(
    settings: Annotated[Settings, Depends(get_app_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if settings.admin_token is None:
        raise HTTPException(403, "admin endpoints are disabled: set RETRIEVER_ADMIN_TOKEN to enable them")
    expected = settings.admin_token.get_secret_value().encode()
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"})


@router.post(
    "/reload",
    response_model=ReloadResponse,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"model": ErrorResponse, "description": "The bearer token is missing or wrong."},
        403: {"model": ErrorResponse, "description": "No admin token is configured, so admin endpoints are off."},
        409: {"model": ErrorResponse, "description": "The index directory cannot serve; the old one stays."},
    },
)
async def reload_index(request: Request, settings: Annotated[Settings, Depends(get_app_settings)]) -> ReloadResponse:
    """Load the index directory again (after a rebuild) and swap it in without dropping a request."""
    try:
        retriever, seconds = await run_in_threadpool(request.app.state.slot.reload, settings)
    except IndexLoadError as exc:
        request.app.state.metrics.reloads.labels("failed").inc()
        raise HTTPException(409, f"reload failed, still serving the previous index: {exc}") from exc
    request.app.state.metrics.reloads.labels("ok").inc()
    manifest = retriever.manifest
    return ReloadResponse(
        status="reloaded",
        index=index_version(manifest),
        passages=manifest.passages,
        documents=manifest.documents,
        took_ms=round(1000 * seconds, 2),
    )
