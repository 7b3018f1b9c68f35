"""Changing an index's documents: builds from a corpus keep the uploads, and uploads and deletions change a few
documents of a live index. Both hold the index's writer lock (:mod:`retriever.indexes.uploads`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from retriever.config import Settings
from retriever.errors import UnknownDocument, UsageError
from retriever.indexes.manifest import Manifest
from retriever.indexes.seam import index_documents, write_index
from retriever.indexes.uploads import Uploads
from retriever.reading.documents import Document
from retriever.reading.ingest import RawDocument

if TYPE_CHECKING:
    from retriever.model.embed import Encoder

logger = logging.getLogger(__name__)


def build_keeping_uploads(
    corpus: Sequence[Document], settings: Settings, encoder: Encoder, full: bool = False, show_progress: bool = True
) -> Manifest:
    """Index the ``corpus`` documents with the index's uploads applied (see :meth:`Uploads.apply`)."""
    uploads = Uploads.of(settings)
    with uploads.locked():
        documents = uploads.apply(corpus)
        return write_index(documents, settings, encoder, full=full, show_progress=show_progress)


def change_documents(
    settings: Settings,
    encoder: Encoder,
    put: Sequence[RawDocument] = (),
    delete: Sequence[str] = (),
    show_progress: bool = False,
) -> Manifest:
    """Add or replace the ``put`` documents and remove the ``delete`` ones in the live index, embedding only new
    passages, and record the change with the uploads; returns the manifest now served.

    Nothing changes when any document is unreadable (:class:`~retriever.errors.UnreadableDocument`), any deleted
    id is unknown (:class:`~retriever.errors.UnknownDocument`), or the index would be left empty
    (:class:`~retriever.errors.UsageError`); a change that fails while writing leaves the index and the records
    as they were.
    """
    cleaned = [raw.cleaned() for raw in put]
    ids = [document.doc_id for document in cleaned]
    if len(set(ids)) < len(ids):
        raise UsageError("two of the documents given have the same id")
    uploads = Uploads.of(settings)
    with uploads.locked():
        current = index_documents(settings)
        known = {document.doc_id for document in current}
        unknown = [doc_id for doc_id in delete if doc_id not in known]
        if unknown:
            raise UnknownDocument(f"no document {unknown[0]!r} in the index")
        changed = {document.doc_id for document in cleaned} | set(delete)
        documents = [document for document in current if document.doc_id not in changed] + cleaned
        if not documents:
            raise UsageError("an index needs at least one document: add another before deleting the last")
        with uploads.recording(put, delete):
            manifest = write_index(documents, settings, encoder, show_progress=show_progress)
    logger.info("index changed: %d documents added or replaced, %d deleted", len(cleaned), len(delete))
    return manifest
