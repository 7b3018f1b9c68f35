"""The approximate dense index used for large corpora keeps recall close to exact search."""

import faiss
import numpy as np

from retriever.build import build_index
from retriever.documents import Document
from retriever.store import dense_index, load_index


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(64, dim))
    vectors = centres[rng.integers(0, 64, size=n)] + 0.6 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_get_exact_search_and_large_ones_hnsw():
    vectors = unit_vectors(300, 32, seed=0)
    assert isinstance(dense_index(vectors, exact_up_to=300), faiss.IndexFlatIP)
    assert isinstance(dense_index(vectors, exact_up_to=299), faiss.IndexHNSWFlat)


def test_hnsw_recall_at_10_against_exact_search():
    corpus, queries = unit_vectors(20_000, 64, seed=1), unit_vectors(200, 64, seed=2)
    _, exact = dense_index(corpus).search(queries, 10)
    approximate = dense_index(corpus, exact_up_to=1000)
    _, found = approximate.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, found, strict=True)])
    assert recall >= 0.95
    assert np.allclose(approximate.reconstruct(7), corpus[7])


def test_an_hnsw_index_survives_save_and_load(tmp_path, settings, encoder):
    documents = [Document(f"d{i}", "", f"第{i}段：阿拉善盟现有建档立卡脱贫户{i}户。") for i in range(30)]
    small_limit = settings.model_copy(update={"exact_search_up_to": 10})
    manifest = build_index(documents, tmp_path / "ann", small_limit, encoder, show_progress=False)
    assert manifest.extra["dense"] == "hnsw"
    loaded = load_index(tmp_path / "ann")
    assert isinstance(loaded.dense, faiss.IndexHNSWFlat) and loaded.dense.hnsw.efSearch == 256
