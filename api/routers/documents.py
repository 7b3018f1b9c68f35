"""Whole documents with their passages: GET /documents/{doc_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.dependencies import get_retriever
from api.schemas import DocumentResponse, ErrorResponse, PassageOut
from retriever import Retriever

router = APIRouter(tags=["documents"])


@router.get(
    "/documents/{doc_id:path}",
    response_model=DocumentResponse,
    responses={404: {"model": ErrorResponse, "description": "No document with this id in the index."}},
)
async def get_document(doc_id: str, retriever: Annotated[Retriever, Depends(get_retriever)]) -> DocumentResponse:
    document = retriever.document(doc_id)
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
            for p in retriever.passages_of(doc_id)
        ],
    )
