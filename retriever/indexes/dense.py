"""The dense index: inner product over unit vectors (cosine similarity), exact while a linear scan is fast enough,
an inverted file (IVF) beyond; read memory-mapped.

The IVF keeps every vector in full (IVF-Flat), so the scores it returns, and the scores of arbitrary passages
reconstructed through its direct map for lexical candidates, are the exact cosines.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

LISTS_PER_SQRT_N = 16
"""Inverted lists per √n vectors, the top of FAISS's 4–16·√n guideline: at 1M passages, finer lists reached a
given recall scanning fewer vectors (docs/BENCHMARKS.md, "1M passages")."""
TRAINING_POINTS_PER_LIST = 16
"""k-means training sample per list (FAISS asks for 39; 16 already gave the recall below, and training time on
two cores grows with the sample)."""
PROBED_SHARE = 1 / 64
"""Share of the inverted lists a query scans (``nprobe``): recall@10 against exact search was 0.99 at 1M passages
with real queries, against 0.95 for half as many."""
RECALL_DEPTH = 10
ADD_BATCH = 65_536
SEED = 0


def ivf_lists(n: int) -> int:
    """How many inverted lists ``n`` vectors get: ``LISTS_PER_SQRT_N``·√n rounded to a power of two, but no more
    than leaves ``TRAINING_POINTS_PER_LIST`` vectors per list (which binds below 65,536 vectors)."""
    wanted = 2 ** round(math.log2(LISTS_PER_SQRT_N * math.sqrt(n)))
    affordable = 2 ** int(math.log2(max(1, n // TRAINING_POINTS_PER_LIST)))
    return min(wanted, affordable)


def _sample(n: int, size: int) -> np.ndarray:
    """``size`` distinct row numbers below ``n``, in order, the same on every build of the same size."""
    return np.sort(np.random.default_rng(SEED).choice(n, size=min(size, n), replace=False))


def build_dense(vectors: np.ndarray, exact_up_to: int, show_progress: bool = False) -> faiss.Index:
    """An exact index of ``vectors`` up to ``exact_up_to`` of them, an IVF-Flat one (with a direct map for
    reconstructing any vector) beyond."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= exact_up_to:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    lists = ivf_lists(n)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = SEED
    index.cp.min_points_per_centroid = TRAINING_POINTS_PER_LIST
    index.train(vectors[_sample(n, lists * TRAINING_POINTS_PER_LIST)])
    index.nprobe = max(1, round(lists * PROBED_SHARE))
    for start in tqdm(range(0, n, ADD_BATCH), desc="dense index", unit="batch", disable=not show_progress):
        index.add(vectors[start : start + ADD_BATCH])
    index.make_direct_map()
    return index


def recall_at_10(index: faiss.Index, vectors: np.ndarray, queries: np.ndarray) -> float:
    """Mean share of the exact top 10 (by brute force over ``vectors``) that ``index`` also returns."""
    _, exact = faiss.knn(queries, vectors, RECALL_DEPTH, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, RECALL_DEPTH)
    return float(np.mean([len(set(a) & set(b)) / RECALL_DEPTH for a, b in zip(exact, found, strict=True)]))


def describe(index: faiss.Index) -> dict[str, Any]:
    """The index's settings, for the manifest."""
    if isinstance(index, faiss.IndexFlat):
        return {"type": "flat"}
    return {
        "type": "ivf-flat",
        "nlist": int(index.nlist),
        "nprobe": int(index.nprobe),
        "training_points": min(int(index.ntotal), int(index.nlist) * TRAINING_POINTS_PER_LIST),
    }


def write_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_dense(path: Path) -> faiss.Index:
    """The index at ``path``, memory-mapped: its vectors stay in the page cache, loaded as queries touch them."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)


def search_within(index: faiss.Index, vector: np.ndarray, n: int, rows: np.ndarray | None) -> np.ndarray:
    """The ids of the ``n`` nearest vectors to ``vector``, only among ``rows`` when given (best first; an IVF index
    keeps its own ``nprobe``)."""
    if rows is None:
        return index.search(vector[None, :], n)[1][0]
    selector = faiss.IDSelectorBatch(rows)
    ivf = faiss.try_extract_index_ivf(index)
    params = (
        faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf else faiss.SearchParameters(sel=selector)
    )
    return index.search(vector[None, :], n, params=params)[1][0]
