"""Whole documents: GET /documents/{doc_id} reads one; POST /documents adds or replaces one and DELETE
/documents/{doc_id} removes one (both behind the admin token)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.dependencies import get_app_settings, get_pool, get_retriever, require_admin
from api.openapi import ADMIN_RESPONSES, ERROR_RESPONSES
from api.pool import SearchPool
from api.schemas import (
    DocumentChange,
    DocumentFields,
    DocumentResponse,
    DocumentUpload,
    ErrorResponse,
    PassageOut,
    index_version,
)
from retriever import Document, DocumentTooLarge, Passage, RawDocument, Retriever, Settings

router = APIRouter(tags=["documents"])

UPLOAD_FORM_FIELDS = 8
"""More form fields than an upload has (file, doc_id, title, date, source) are refused before parsing."""

_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": DocumentUpload.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The article: .txt, .md, .html, .pdf or .docx (read by its name's suffix).",
                    },
                    **DocumentFields.model_json_schema()["properties"],
                },
                "additionalProperties": False,
            }
        },
    },
}
_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ADMIN_RESPONSES,
    409: {"model": ErrorResponse, "description": "The change would leave the index without documents."},
    503: {"model": ErrorResponse, "description": "The index store (Milvus) did not answer; nothing changed."},
}


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


@router.post(
    "/documents",
    status_code=201,
    response_model=DocumentChange,
    dependencies=[Depends(require_admin)],
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={
        **_CHANGE_RESPONSES,
        400: {"model": ErrorResponse, "description": "The multipart form cannot be parsed."},
        413: {"model": ErrorResponse, "description": "The document is larger than the upload limit."},
        415: {"model": ErrorResponse, "description": "Neither JSON nor a multipart upload, or an unsupported file."},
        422: {"model": ErrorResponse, "description": "A field is invalid, or no text can be read from the document."},
    },
)
async def add_document(request: Request, settings: Annotated[Settings, Depends(get_app_settings)]) -> DocumentChange:
    """Add a document, or replace the one with its id, and answer once it is searchable. Send JSON
    (``DocumentUpload``) or a multipart form with a ``file`` field and the optional fields. Only its passages are
    embedded; it is kept beside the index, so restarts and rebuilds keep it."""
    started = time.perf_counter()
    raw = await _uploaded(request, settings)
    return await _changed(request, raw.doc_id, lambda served: served.add_documents([raw]), started)


@router.delete(
    "/documents/{doc_id:path}",
    response_model=DocumentChange,
    dependencies=[Depends(require_admin)],
    responses={**_CHANGE_RESPONSES, 404: {"model": ErrorResponse, "description": "No document with this id."}},
)
async def delete_document(doc_id: str, request: Request) -> DocumentChange:
    """Remove a document (uploaded or from the corpus folder); later rebuilds leave it out too."""
    started = time.perf_counter()
    return await _changed(request, doc_id, lambda served: served.delete_documents([doc_id]), started)


async def _changed(
    request: Request, doc_id: str, change: Callable[[Retriever], Retriever], started: float
) -> DocumentChange:
    """Apply ``change`` to the served index (swapped in once done) and say how the document ``doc_id`` stands."""
    fresh = await run_in_threadpool(request.app.state.slot.change, change)
    passages = await run_in_threadpool(fresh.passages_of, doc_id)
    return DocumentChange(
        doc_id=doc_id,
        passages=len(passages),
        index=index_version(fresh.manifest),
        took_ms=round(1000 * (time.perf_counter() - started), 2),
    )


async def _uploaded(request: Request, settings: Settings) -> RawDocument:
    """The document a POST /documents request carries, as JSON or as a multipart form."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        upload = _validated(DocumentUpload, await request.body())
        if len(upload.text.encode()) > settings.max_upload_bytes:
            raise DocumentTooLarge(f"text larger than {settings.max_upload_mb:g} MB")
        return RawDocument.from_text(upload.text, upload.doc_id, **upload.metadata())
    if media_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=UPLOAD_FORM_FIELDS)
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(422, "file: a multipart upload needs the document in a file field named 'file'")
        fields = _validated(DocumentFields, {name: value for name, value in form.items() if name != "file" and value})
        data = await file.read(settings.max_upload_bytes + 1)
        name, limit = file.filename or "", settings.max_upload_bytes
        return await run_in_threadpool(RawDocument.from_file, name, data, limit, fields.doc_id, **fields.metadata())
    raise HTTPException(415, "send the document as application/json or as multipart/form-data with a 'file' field")


Model = TypeVar("Model", bound=DocumentFields)


def _validated(model: type[Model], data: bytes | dict[str, Any]) -> Model:
    """``data`` (a JSON body or form fields) as ``model``, refused with the API's 422 when invalid."""
    try:
        return model.model_validate_json(data) if isinstance(data, bytes) else model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
