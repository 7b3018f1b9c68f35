"""BM25 over jieba tokens (bm25s), persisted inside the index directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
from tqdm import tqdm

from retriever.query.tokenize import Tokenizer
from retriever.reading.text import normalize_for_matching


class LexicalIndex:
    """Scores every passage against a query with BM25; built once, loaded per server start. Queries are tokenised
    by the tokenizer the passages were."""

    def __init__(self, bm25: bm25s.BM25, tokenizer: Tokenizer) -> None:
        self._bm25 = bm25
        self.tokenizer = tokenizer

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        tokenizer: Tokenizer,
        k1: float,
        b: float,
        processes: int = 1,
        show_progress: bool = False,
    ) -> LexicalIndex:
        """BM25 of ``texts``, tokenised in ``processes`` processes. Tokens become vocabulary ids as they arrive,
        so a large corpus is never held as strings all at once."""
        vocabulary: dict[str, int] = {}
        token_ids = [
            [vocabulary.setdefault(token, len(vocabulary)) for token in tokens]
            for tokens in tqdm(
                tokenizer.tokenize_many(texts, processes),
                total=len(texts),
                desc="tokenising",
                unit="passage",
                disable=not show_progress,
            )
        ]
        bm25 = bm25s.BM25(k1=k1, b=b)
        bm25.index((token_ids, vocabulary), show_progress=show_progress)
        return cls(bm25, tokenizer)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, tokenizer: Tokenizer, mmap: bool = False) -> LexicalIndex:
        """The saved index, queried through ``tokenizer``; with ``mmap`` its score matrix stays on disk, paged in as
        queries touch it."""
        return cls(bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False), tokenizer)

    def term_tokens(self, term: str) -> list[str]:
        """A whole expansion term as one token when the index knows it, else its pieces."""
        normalized = normalize_for_matching(term)
        return [normalized] if normalized in self._bm25.vocab_dict else self.tokenizer.tokenize(term)

    def scores(self, query: str, alternatives: Sequence[tuple[Sequence[str], float]] = ()) -> np.ndarray:
        """BM25 score of every passage, in index order: the query's tokens, plus for each group of
        alternative terms (the names of one place, the translations of one word) its best-matching
        term at the group's weight, so that synonyms do not count as separate evidence."""
        scores = self._token_scores(self.tokenizer.tokenize(query))
        for terms, weight in alternatives:
            best = np.maximum.reduce([self._token_scores(self.term_tokens(term)) for term in terms])
            scores += weight * best
        return scores

    def _token_scores(self, tokens: Sequence[str]) -> np.ndarray:
        vocab = self._bm25.vocab_dict
        token_ids = [vocab[token] for token in tokens if token in vocab]
        if not token_ids:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return self._bm25.get_scores(token_ids).astype(np.float32)
