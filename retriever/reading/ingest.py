"""Raw article text → a clean document: repair, strip page furniture, read metadata, rebuild paragraphs."""

from __future__ import annotations

from retriever.reading.boilerplate import strip_boilerplate
from retriever.reading.documents import Document
from retriever.reading.metadata import extract_metadata
from retriever.reading.mojibake import repair_mojibake
from retriever.reading.paragraphs import reconstruct_paragraphs

CLEANER_VERSION = "1"


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
