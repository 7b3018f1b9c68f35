"""Liveness and what is loaded: GET /health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.dependencies import get_searcher
from api.schemas import HealthResponse, index_version
from retriever.search import Searcher

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(searcher: Annotated[Searcher, Depends(get_searcher)]) -> HealthResponse:
    manifest = searcher.manifest
    return HealthResponse(
        status="ok",
        passages=manifest.passages,
        documents=manifest.documents,
        model=manifest.model,
        index=index_version(manifest),
        index_dir=searcher.backend.location,
        built_at=manifest.built_at,
    )
