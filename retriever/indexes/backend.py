"""What the searcher needs of a loaded index, whichever engine holds it, and the candidate selection both share.

The embedded backend (:mod:`retriever.indexes.embedded`: FAISS and bm25s in an index directory) and the Milvus backend
(:mod:`retriever.indexes.milvus`) implement :class:`SearchBackend`; :mod:`retriever.indexes.seam` chooses between them.
Chunking, repair, query expansion, fusion and answers are the same code above either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from retriever.config import SearchMode
from retriever.indexes.manifest import Manifest
from retriever.query.tokenize import Tokenizer
from retriever.reading.documents import Document, Passage


@dataclass(frozen=True)
class LexicalQuery:
    """What BM25 scores: the query's own tokens, plus groups of alternative terms (the names of one place, the
    translations of one word), each group counting its best-matching term once, at the group's weight."""

    query: str
    groups: Sequence[tuple[Sequence[str], float]] = field(default_factory=tuple)


@dataclass(frozen=True)
class Filters:
    """Which documents a search may return; an unset field lets every document through.

    ``date_from`` and ``date_to`` bound the publication day, both included (a document without a date fails any
    date bound); ``source`` must equal the document's source; ``doc_ids`` lists the documents allowed.
    """

    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    doc_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to or self.source or self.doc_ids)

    @property
    def day_after_to(self) -> str | None:
        """The ISO day after ``date_to``: dates (possibly with a time) below it are on or before ``date_to``."""
        return (self.date_to + timedelta(days=1)).isoformat() if self.date_to else None


@dataclass(frozen=True)
class ScoredCandidates:
    """Passage ids (the backend's own) with their dense (cosine) and lexical (BM25) scores, aligned."""

    ids: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


class SearchBackend(Protocol):
    """One loaded index, searched and read by passage id."""

    manifest: Manifest
    aliases: list[tuple[str, str]]
    tokenizer: Tokenizer
    """Tokenises queries for BM25 as this index's passages were tokenised."""
    location: str
    """Where the index lives, for people: a directory, or a Milvus URI and collection."""

    def __len__(self) -> int: ...

    def candidates(
        self, vector: np.ndarray, lexical: LexicalQuery, mode: SearchMode, n: int, filters: Filters | None = None
    ) -> ScoredCandidates:
        """The top ``n`` passages of each ranking ``mode`` uses (dense by ``vector``, lexical by ``lexical``), dense
        ones first, each once, with both scores (a mode's unused ranking still scores, except lexical in dense mode).
        With ``filters`` only passages of matching documents compete, so ``n`` of them come back when enough match."""
        ...

    def get_many(self, ids: Sequence[int]) -> list[Passage]:
        """The passages of ``ids``, in that order."""
        ...

    def document(self, doc_id: str) -> Document | None: ...

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The documents of ``doc_ids`` that exist, by id."""
        ...

    def passages_of(self, doc_id: str) -> list[Passage]:
        """A document's passages in reading order (none for an unknown document)."""
        ...


def top_positions(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` highest scores, best first, ties in position order: a partial selection,
    linear in ``len(scores)``, then a sort of the selected few."""
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    threshold = np.partition(scores, len(scores) - n)[len(scores) - n]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: n - len(above)]
    selected = np.concatenate([above, tied])
    return selected[np.lexsort((selected, -scores[selected]))]


def union_in_order(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The ids of ``first`` then those of ``second`` not already seen, each once, in order."""
    ids = np.concatenate([first, second]).astype(np.int64)
    return ids[np.sort(np.unique(ids, return_index=True)[1])]
