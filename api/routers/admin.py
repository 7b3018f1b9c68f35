"""Operator endpoints, behind the bearer token in ``RETRIEVER_ADMIN_TOKEN``: POST /admin/reload."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from api.dependencies import get_app_settings, require_admin
from api.openapi import ADMIN_RESPONSES
from api.schemas import ErrorResponse, ReloadResponse, index_version
from retriever import IndexLoadError, Settings

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResponse,
    dependencies=[Depends(require_admin)],
    responses={
        **ADMIN_RESPONSES,
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
