"""Raw article text → a clean document: repair, strip page furniture, read metadata, rebuild paragraphs."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from retriever.errors import UnreadableDocument
from retriever.reading.boilerplate import strip_boilerplate
from retriever.reading.documents import Document, content_hash
from retriever.reading.metadata import extract_metadata
from retriever.reading.mojibake import repair_mojibake
from retriever.reading.paragraphs import reconstruct_paragraphs

CLEANER_VERSION = "1"
MAX_DOC_ID_CHARS = 200
_UNSAFE_ID = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def clean_document(doc_id: str, raw_text: str) -> Document:
    """The cleaned document; its text holds one paragraph per blank-line-separated block."""
    text = strip_boilerplate(repair_mojibake(raw_text))
    metadata, text = extract_metadata(text)
    return Document(
        doc_id=doc_id,
        title=metadata.title,
        text=reconstruct_paragraphs(text),
        date=metadata.date,
        source=metadata.source,
    )


@dataclass(frozen=True)
class RawDocument:
    """A document given to an index directly rather than through the corpus folder (an upload): its text as
    written or extracted from its file, before repair and cleaning, and metadata that, when given, wins over what
    the text's head says. ``date`` is ``YYYY-MM-DD``."""

    doc_id: str
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        check_doc_id(self.doc_id)
        if self.date:
            try:
                datetime.date.fromisoformat(self.date)
            except ValueError:
                raise UnreadableDocument(f"date {self.date!r} is not a day written YYYY-MM-DD") from None

    @classmethod
    def from_text(cls, text: str, doc_id: str | None = None, **metadata: str | None) -> RawDocument:
        """A document of ``text``; without an id it is named after its content, so sending it again replaces it."""
        return cls(doc_id or f"upload-{content_hash(text)[:12]}", text, **metadata)

    @classmethod
    def from_file(
        cls, filename: str, data: bytes, max_bytes: int, doc_id: str | None = None, **metadata: str | None
    ) -> RawDocument:
        """A document read from the contents ``data`` of a file called ``filename`` by the corpus folder's readers
        (chosen by suffix); without an id it is named after the file, as a corpus file is."""
        from retriever.reading.formats import read_bytes  # the file readers: only files need them

        name = PurePosixPath(filename.replace("\\", "/")).name
        return cls(doc_id or PurePosixPath(name).stem, read_bytes(name, data, max_bytes), **metadata)

    def cleaned(self) -> Document:
        """The document as indexed: repaired and cleaned as a corpus file is, the given metadata applied.
        Raises :class:`~retriever.errors.UnreadableDocument` when no text is left."""
        document = clean_document(self.doc_id, self.text)
        if not document.text.strip():
            raise UnreadableDocument(f"document {self.doc_id!r} has no text after cleaning")
        return replace(
            document,
            title=self.title or document.title,
            date=self.date or document.date,
            source=self.source or document.source,
        )


def check_doc_id(doc_id: str) -> None:
    """Refuse an id that is empty, padded, too long or holds control characters (it names files and URLs)."""
    if not doc_id or doc_id != doc_id.strip():
        raise UnreadableDocument(f"document id {doc_id!r} is empty or starts or ends with whitespace")
    if len(doc_id) > MAX_DOC_ID_CHARS:
        raise UnreadableDocument(f"document id is longer than {MAX_DOC_ID_CHARS} characters")
    if _UNSAFE_ID.search(doc_id):
        raise UnreadableDocument(f"document id {doc_id!r} holds a control character")
