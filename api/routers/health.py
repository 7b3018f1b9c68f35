"""Liveness and what is loaded: GET /health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.dependencies import get_retriever
from api.schemas import HealthResponse, index_version
from retriever import Retriever

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(retriever: Annotated[Retriever, Depends(get_retriever)]) -> HealthResponse:
    manifest = retriever.manifest
    return HealthResponse(
        status="ok",
        passages=manifest.passages,
        documents=manifest.documents,
        model=manifest.model,
        index=index_version(manifest),
        index_dir=retriever.location,
        built_at=manifest.built_at,
    )
