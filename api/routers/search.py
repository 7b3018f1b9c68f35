"""Passage search: POST /search with a JSON body, GET /search with query parameters."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.dependencies import checked_filters, checked_text, checked_top_k, get_pool, get_retriever
from api.openapi import ERROR_RESPONSES
from api.pool import SearchPool
from api.schemas import (
    Mode,
    QueryExpansion,
    SearchFilters,
    SearchRequest,
    SearchResponse,
    SearchResult,
    index_version,
)
from retriever import Filters, QueryPlan, Retriever, SearchHit

router = APIRouter(tags=["search"])


def _planned_search(
    retriever: Retriever, query: str, top_k: int, mode: Mode, filters: Filters | None
) -> tuple[QueryPlan, list[SearchHit]]:
    plan = retriever.plan(query)
    return plan, retriever.search(query, top_k, mode, plan, filters)


async def _search(
    retriever: Retriever,
    pool: SearchPool,
    query: str,
    top_k: int | None,
    mode: Mode,
    filters: SearchFilters | None,
) -> SearchResponse:
    started = time.perf_counter()
    query = checked_text(query, retriever.settings, "query")
    top_k = checked_top_k(top_k, retriever.settings)
    checked = checked_filters(filters)
    plan, hits = await pool.run(_planned_search, retriever, query, top_k, mode, checked)
    return SearchResponse(
        query=query,
        mode=mode,
        index=index_version(retriever.manifest),
        expansion=QueryExpansion.from_plan(plan),
        results=[SearchResult.from_hit(hit) for hit in hits],
        took_ms=round(1000 * (time.perf_counter() - started), 2),
    )


@router.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
async def search_post(
    request: SearchRequest,
    retriever: Annotated[Retriever, Depends(get_retriever)],
    pool: Annotated[SearchPool, Depends(get_pool)],
) -> SearchResponse:
    return await _search(retriever, pool, request.query, request.top_k, request.mode, request.filters)


@router.get("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
async def search_get(
    retriever: Annotated[Retriever, Depends(get_retriever)],
    pool: Annotated[SearchPool, Depends(get_pool)],
    q: Annotated[str, Query(description="The question or keywords.")],
    top_k: Annotated[int | None, Query()] = None,
    mode: Annotated[Mode, Query()] = "hybrid",
    date_from: Annotated[date | None, Query(description="Published on or after this day (YYYY-MM-DD).")] = None,
    date_to: Annotated[date | None, Query(description="Published on or before this day (YYYY-MM-DD).")] = None,
    source: Annotated[str | None, Query(max_length=200, description="The publisher, exactly.")] = None,
    doc_id: Annotated[list[str] | None, Query(max_length=100, description="Only these documents (repeatable).")] = None,
) -> SearchResponse:
    filters = SearchFilters(date_from=date_from, date_to=date_to, source=source, doc_id=doc_id)
    return await _search(retriever, pool, q, top_k, mode, filters)
