"""The project's BM25 as Milvus sparse vectors, split so that Milvus can keep it current.

BM25 (the Lucene variant bm25s uses) scores a passage ``d`` for query tokens ``t`` as
``Σ idf(t) · tf / (tf + k1 · (1 − b + b · dl / avgdl))``. The passage side of that product (the term-frequency part) is
stored as the passage's sparse vector; the query side (``idf`` times how often the query repeats the token) is
computed per query from document frequencies kept in a terms collection. An inner-product search then returns exactly
the embedded backend's BM25 score, and an update only adjusts the frequencies of the terms it touches.
``avgdl`` is fixed at the last full build; passages written by later updates use it too.

Milvus's own BM25 function was measured against this and left aside: its scores differ from bm25s's (on Milvus Lite
3.2 the length normalisation and IDF come out differently), which cost 30 questions at CMRC lexical hit@1.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

MAX_DIMENSION = 2**32 - 1
"""Milvus sparse vector dimensions are below this."""
PASSAGES_ROW = MAX_DIMENSION
"""The terms collection's row that counts the passages (no token maps to it): queries read it with the document
frequencies, so IDF uses the live count after in-place updates too."""


def token_dimension(token: str) -> int:
    """The sparse dimension of a token: 32 bits of its hash, the same in every build and query."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") % MAX_DIMENSION


def passage_weights(tokens: Sequence[str], k1: float, b: float, avgdl: float) -> dict[int, float]:
    """The passage side of BM25 for each of its tokens' dimensions."""
    norm = k1 * (1 - b + b * len(tokens) / avgdl)
    counts = Counter(token_dimension(token) for token in tokens)
    return {dimension: tf / (tf + norm) for dimension, tf in counts.items()}


def idf(document_frequency: int, passages: int) -> float:
    return math.log(1 + (passages - document_frequency + 0.5) / (document_frequency + 0.5))


def query_weights(tokens: Iterable[str], frequencies: Mapping[int, int], passages: int) -> dict[int, float]:
    """The query side of BM25: each known token's IDF, times how often the query repeats it."""
    counts = Counter(token_dimension(token) for token in tokens)
    return {
        dimension: count * idf(frequencies[dimension], passages)
        for dimension, count in counts.items()
        if frequencies.get(dimension, 0) > 0
    }


def document_frequencies(token_lists: Iterable[Sequence[str]]) -> Counter[int]:
    """In how many of the passages each dimension occurs."""
    frequencies: Counter[int] = Counter()
    for tokens in token_lists:
        frequencies.update({token_dimension(token) for token in tokens})
    return frequencies
