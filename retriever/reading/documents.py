"""The records that flow through the pipeline: documents and their passages, and the hashes that identify them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article, cleaned. ``doc_id`` is its path relative to the corpus root, without extension;
    ``date`` is ISO 8601 when the article gives one."""

    doc_id: str
    title: str
    text: str
    date: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    """A retrievable slice of a document: ``text == document.text[start:end]``.

    ``section`` is the heading the passage sits under; with ``title`` it is context for matching,
    not part of the displayed text.
    """

    passage_id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    title: str
    section: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def content_hash(text: str) -> str:
    """The hex SHA-256 of ``text``: how builds tell a document or passage text they have seen before."""
    return hashlib.sha256(text.encode()).hexdigest()


def corpus_hash(documents: Iterable[Document]) -> str:
    """A content hash of the corpus: changes when any document id or text changes."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.doc_id):
        digest.update(document.doc_id.encode())
        digest.update(hashlib.sha256(document.text.encode()).digest())
    return digest.hexdigest()
