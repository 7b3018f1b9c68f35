"""Chinese-first passage search and question answering over news and government articles.

The public API::

    from retriever import Retriever

    library = Retriever.build("articles/", "index/articles")    # index a folder (or Retriever.open an index)
    for hit in library.search("土右旗脱贫了多少户？", top_k=3):
        print(hit.score, hit.doc_id, hit.title, hit.date, hit.source, hit.text)
    answer = library.ask("How many households did Tumed Right Banner lift out of poverty?")
    print(answer.answer, answer.confidence, answer.sentence)

An index is a directory, or a Milvus collection (a ``http://`` URI or a Milvus Lite ``.db`` file). Settings are
the keyword arguments of :class:`Settings` (also read from ``RETRIEVER_*`` environment variables). Every error
raised on purpose derives from :class:`RetrieverError`.

The names below are imported on first use, so that ``import retriever.config`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retriever.answers.answer import Answer
    from retriever.config import SearchMode, Settings
    from retriever.errors import (
        BackendUnavailable,
        CorpusError,
        CorpusNotFound,
        DataFileError,
        DocumentTooLarge,
        IndexLoadError,
        ModelError,
        QuestionSetError,
        RetrieverError,
        UnknownDocument,
        UnreadableDocument,
        UnsupportedFormat,
        UsageError,
    )
    from retriever.facade import Retriever
    from retriever.indexes.backend import Filters
    from retriever.indexes.manifest import Manifest
    from retriever.query.expand import QueryPlan
    from retriever.ranking.search import SearchHit
    from retriever.reading.documents import Document, Passage
    from retriever.reading.ingest import RawDocument
    from retriever.reading.text import Language

_EXPORTS = {
    "Retriever": "retriever.facade",
    "SearchHit": "retriever.ranking.search",
    "Answer": "retriever.answers.answer",
    "Document": "retriever.reading.documents",
    "Filters": "retriever.indexes.backend",
    "Passage": "retriever.reading.documents",
    "Manifest": "retriever.indexes.manifest",
    "Settings": "retriever.config",
    "SearchMode": "retriever.config",
    "QueryPlan": "retriever.query.expand",
    "Language": "retriever.reading.text",
    "RetrieverError": "retriever.errors",
    "IndexLoadError": "retriever.errors",
    "BackendUnavailable": "retriever.errors",
    "CorpusError": "retriever.errors",
    "CorpusNotFound": "retriever.errors",
    "QuestionSetError": "retriever.errors",
    "UsageError": "retriever.errors",
    "ModelError": "retriever.errors",
    "DataFileError": "retriever.errors",
    "UnreadableDocument": "retriever.errors",
    "UnsupportedFormat": "retriever.errors",
    "DocumentTooLarge": "retriever.errors",
    "UnknownDocument": "retriever.errors",
    "RawDocument": "retriever.reading.ingest",
}

__all__ = [
    "Answer",
    "BackendUnavailable",
    "CorpusError",
    "CorpusNotFound",
    "DataFileError",
    "Document",
    "DocumentTooLarge",
    "Filters",
    "IndexLoadError",
    "Language",
    "Manifest",
    "ModelError",
    "Passage",
    "QueryPlan",
    "QuestionSetError",
    "RawDocument",
    "Retriever",
    "RetrieverError",
    "SearchHit",
    "SearchMode",
    "Settings",
    "UnknownDocument",
    "UnreadableDocument",
    "UnsupportedFormat",
    "UsageError",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'retriever' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
