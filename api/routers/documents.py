"""Whole documents with their passages: GET /documents/{doc_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.dependencies import get_pool, get_retriever
from api.openapi import ERROR_RESPONSES
from api.pool import SearchPool
from api.schemas import DocumentResponse, ErrorResponse, PassageOut
from retriever import Document, Passage, Retriever

router = APIRouter(tags=["documents"])


def _read(retriever: Retriever, doc_id: str) -> tuple[Document | None, list[Passage]]:
    document = retriever.document(doc_id)
    return document, retriever.passages_of(doc_id) if document is not None else []


@router.get(
    "/documents/{doc_id:path}",
    response_model=DocumentResponse,
    responses={
        404: {"model": ErrorResponse, "description": "No document with this id in the index."},
        503: ERROR_RESPONSES[503],
    },
)
async def get_document(
    doc_id: str,
    retriever: Annotated[Retriever, Depends(get_retriever)],
    pool: Annotated[SearchPool, Depends(get_pool)],
) -> DocumentResponse:
    """The document and its passages, read on the search threads like a search (the store may be remote)."""
    document, passages = await pool.run(_read, retriever, doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id!r} in the index")
    return DocumentResponse(
        doc_id=document.doc_id,
        title=document.title,
        date=document.date,
        source=document.source,
        text=document.text,
        passages=[
            PassageOut(passage_id=p.passage_id, position=p.position, start=p.start, end=p.end, text=p.text)
            for p in passages
        ],
    )
