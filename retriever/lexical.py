"""BM25 over jieba tokens (bm25s), persisted inside the index directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from retriever.tokenize import tokenize


class LexicalIndex:
    """Scores every passage against a query with BM25; built once, loaded per server start."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: Sequence[str], k1: float, b: float, show_progress: bool = False) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=k1, b=b)
        bm25.index([tokenize(text) for text in texts], show_progress=show_progress)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage, in index order (zeros when no query token is known)."""
        vocab = self._bm25.vocab_dict
        token_ids = [vocab[token] for token in tokenize(query) if token in vocab]
        if not token_ids:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return self._bm25.get_scores(token_ids).astype(np.float32, copy=False)
