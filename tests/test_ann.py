"""The approximate dense index used for large corpora keeps recall close to exact search and survives a reload."""

import faiss
import numpy as np

from retriever.indexes.build import build_index
from retriever.indexes.dense import build_dense, recall_at_10
from retriever.indexes.store import load_index
from retriever.reading.documents import Document


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def embedding_like(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors shaped like the scale benchmark's: base vectors inside a narrow cone (random pairs at cosine ≈ 0.8,
    as the encoder's are), each with about 100 noisy copies at cosine ≈ 0.95; and queries near random bases."""
    rng = np.random.default_rng(seed)
    bases = unit(unit(rng.normal(size=dim)) + 0.52 * rng.normal(size=(n // 100, dim)) / np.sqrt(dim))
    corpus = unit(bases[rng.integers(0, len(bases), size=n)] + 0.33 * rng.normal(size=(n, dim)) / np.sqrt(dim))
    queries = unit(bases[rng.integers(0, len(bases), size=200)] + 0.5 * rng.normal(size=(200, dim)) / np.sqrt(dim))
    return corpus, queries


def test_small_corpora_get_exact_search_and_large_ones_an_inverted_file():
    vectors, _ = embedding_like(3000, 32, seed=0)
    assert isinstance(build_dense(vectors, exact_up_to=3000), faiss.IndexFlatIP)
    assert isinstance(build_dense(vectors, exact_up_to=2999), faiss.IndexIVFFlat)


def test_inverted_file_recall_at_10_against_exact_search_and_exact_scores_for_any_passage():
    corpus, queries = embedding_like(20_000, 64, seed=1)
    approximate = build_dense(corpus, exact_up_to=1000)
    assert recall_at_10(approximate, corpus, queries) >= 0.95
    ids = np.array([7, 19_999, 3])
    assert np.array_equal(approximate.reconstruct_batch(ids), corpus[ids])


def test_an_inverted_file_index_survives_save_and_load(tmp_path, settings, encoder):
    documents = [Document(f"d{i}", "", f"第{i}段：阿拉善盟现有建档立卡脱贫户{i}户。") for i in range(30)]
    small_limit = settings.model_copy(update={"exact_search_up_to": 10})
    manifest = build_index(documents, tmp_path / "ann", small_limit, encoder, show_progress=False)
    dense = manifest.extra["dense"]
    assert dense == {"type": "ivf-flat", "nlist": 1, "nprobe": 1, "training_points": 16}
    loaded = load_index(tmp_path / "ann").dense
    assert isinstance(loaded, faiss.IndexIVFFlat)
    assert (loaded.nlist, loaded.nprobe) == (dense["nlist"], dense["nprobe"])
    query = loaded.reconstruct(17)
    _, found = loaded.search(query[None, :], 1)
    assert found[0][0] == 17
