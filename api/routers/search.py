"""Passage search: POST /search with a JSON body, GET /search with query parameters."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.dependencies import checked_text, checked_top_k, get_pool, get_searcher
from api.openapi import ERROR_RESPONSES
from api.pool import SearchPool
from api.schemas import Mode, QueryExpansion, SearchRequest, SearchResponse, SearchResult, index_version
from retriever.expand import QueryPlan
from retriever.search import Searcher, SearchHit

router = APIRouter(tags=["search"])


def _planned_search(searcher: Searcher, query: str, top_k: int, mode: Mode) -> tuple[QueryPlan, list[SearchHit]]:
    plan = searcher.expander.plan(query)
    return plan, searcher.search(query, top_k, mode, plan)


async def _search(searcher: Searcher, pool: SearchPool, query: str, top_k: int | None, mode: Mode) -> SearchResponse:
    started = time.perf_counter()
    query = checked_text(query, searcher.settings, "query")
    top_k = checked_top_k(top_k, searcher.settings)
    plan, hits = await pool.run(_planned_search, searcher, query, top_k, mode)
    return SearchResponse(
        query=query,
        mode=mode,
        index=index_version(searcher.manifest),
        expansion=QueryExpansion.from_plan(plan),
        results=[SearchResult.from_hit(hit) for hit in hits],
        took_ms=round(1000 * (time.perf_counter() - started), 2),
    )


@router.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
async def search_post(
    request: SearchRequest,
    searcher: Annotated[Searcher, Depends(get_searcher)],
    pool: Annotated[SearchPool, Depends(get_pool)],
) -> SearchResponse:
    return await _search(searcher, pool, request.query, request.top_k, request.mode)


@router.get("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
async def search_get(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    pool: Annotated[SearchPool, Depends(get_pool)],
    q: Annotated[str, Query(description="The question or keywords.")],
    top_k: Annotated[int | None, Query()] = None,
    mode: Annotated[Mode, Query()] = "hybrid",
) -> SearchResponse:
    return await _search(searcher, pool, q, top_k, mode)
