"""The records that flow through the pipeline: documents and their passages."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article. ``doc_id`` is its path relative to the corpus root, without extension."""

    doc_id: str
    title: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    """A retrievable slice of a document: ``text == document.text[start:end]``."""

    passage_id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
