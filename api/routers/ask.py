"""Question answering: POST /ask returns the answering text with its evidence."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends

from api.dependencies import checked_filters, checked_text, get_pool, get_retriever
from api.openapi import ERROR_RESPONSES
from api.pool import SearchPool
from api.schemas import AskRequest, AskResponse, QueryExpansion, SearchResult, index_version
from retriever import Retriever

router = APIRouter(tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
async def ask(
    request: AskRequest,
    retriever: Annotated[Retriever, Depends(get_retriever)],
    pool: Annotated[SearchPool, Depends(get_pool)],
) -> AskResponse:
    started = time.perf_counter()
    question = checked_text(request.question, retriever.settings, "question")
    answer = await pool.run(retriever.ask, question, checked_filters(request.filters))
    return AskResponse(
        question=question,
        index=index_version(retriever.manifest),
        kind=answer.kind,
        answer=answer.answer,
        confidence=answer.confidence,
        confident=answer.confident,
        sentence=answer.sentence,
        expansion=QueryExpansion.from_plan(answer.plan),
        highlight=answer.highlight,
        evidence=[SearchResult.from_hit(hit) for hit in answer.evidence],
        took_ms=round(1000 * (time.perf_counter() - started), 2),
    )
