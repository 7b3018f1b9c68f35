"""Passage search: POST /search with a JSON body, GET /search with query parameters."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.dependencies import checked_text, checked_top_k, get_searcher
from api.schemas import Mode, QueryExpansion, SearchRequest, SearchResponse, SearchResult
from retriever.search import Searcher

router = APIRouter(tags=["search"])


async def _search(searcher: Searcher, query: str, top_k: int | None, mode: Mode) -> SearchResponse:
    started = time.perf_counter()
    query = checked_text(query, searcher.settings, "query")
    top_k = checked_top_k(top_k, searcher.settings)
    plan = searcher.expander.plan(query)
    hits = await run_in_threadpool(searcher.search, query, top_k, mode, plan)
    return SearchResponse(
        query=query,
        mode=mode,
        expansion=QueryExpansion.from_plan(plan),
        results=[SearchResult.from_hit(hit) for hit in hits],
        took_ms=round(1000 * (time.perf_counter() - started), 2),
    )


@router.post("/search", response_model=SearchResponse)
async def search_post(request: SearchRequest, searcher: Annotated[Searcher, Depends(get_searcher)]) -> SearchResponse:
    return await _search(searcher, request.query, request.top_k, request.mode)


@router.get("/search", response_model=SearchResponse)
async def search_get(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    q: Annotated[str, Query(description="The question or keywords.")],
    top_k: Annotated[int | None, Query()] = None,
    mode: Annotated[Mode, Query()] = "hybrid",
) -> SearchResponse:
    return await _search(searcher, q, top_k, mode)
