"""The embedded backend: an index directory on this machine (FAISS vectors, bm25s BM25, SQLite passages)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from retriever.config import SearchMode, Settings
from retriever.indexes.backend import Filters, LexicalQuery, ScoredCandidates, top_positions, union_in_order
from retriever.indexes.dense import search_within
from retriever.indexes.manifest import check_compatible
from retriever.indexes.store import IndexData, live_index, load_index, read_manifest
from retriever.reading.documents import Document, Passage


class EmbeddedBackend:
    """A loaded index directory; passage ids are rows of its FAISS index, BM25 matrix and passage store."""

    def __init__(self, data: IndexData, location: str) -> None:
        self.data = data
        self.manifest = data.manifest
        self.aliases = data.aliases
        self.tokenizer = data.lexical.tokenizer
        self.location = location

    @classmethod
    def open(cls, index_dir: Path, settings: Settings) -> EmbeddedBackend:
        """Load ``index_dir``, refusing it before any heavy loading if it does not match ``settings``."""
        root = live_index(index_dir)
        check_compatible(read_manifest(root), index_dir, settings.model)
        return cls(load_index(root), str(index_dir))

    def __len__(self) -> int:
        return len(self.data.store)

    def candidates(
        self, vector: np.ndarray, lexical: LexicalQuery, mode: SearchMode, n: int, filters: Filters | None = None
    ) -> ScoredCandidates:
        total = len(self.data.store)
        allowed = self.data.store.rows_matching(filters) if filters else None
        lexical_all = (
            self.data.lexical.scores(lexical.query, lexical.groups)
            if mode != "dense"
            else np.zeros(total, dtype=np.float32)
        )
        if allowed is not None:
            kept = np.zeros(total, dtype=np.float32)
            kept[allowed] = lexical_all[allowed]
            lexical_all = kept
        lexical_ids = top_positions(lexical_all, n)
        lexical_ids = lexical_ids[lexical_all[lexical_ids] > 0]
        dense_ids = np.zeros(0, dtype=np.int64)
        if mode != "lexical" and (allowed is None or allowed.size):
            found = search_within(self.data.dense, vector, n, allowed)
            dense_ids = found[found >= 0]
        ids = union_in_order(dense_ids, lexical_ids)
        return ScoredCandidates(ids=ids, dense=self._dense_scores(vector, ids), lexical=lexical_all[ids])

    def _dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if not ids.size:
            return np.zeros(0, dtype=np.float32)
        return self.data.dense.reconstruct_batch(ids) @ vector

    def get_many(self, ids: Sequence[int]) -> list[Passage]:
        return self.data.store.get_many(ids)

    def document(self, doc_id: str) -> Document | None:
        return self.data.store.document(doc_id)

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        return self.data.store.documents(doc_ids)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self.data.store.passages_of(doc_id)
