"""Selecting the top lexical candidates without sorting every score."""

import numpy as np

from retriever.indexes.backend import top_positions


def test_top_positions_match_a_stable_full_sort_ties_included():
    scores = np.random.default_rng(0).integers(0, 5, size=1000).astype(np.float32)
    for n in (1, 10, 200, 999, 1000, 2000):
        assert top_positions(scores, n).tolist() == np.argsort(-scores, kind="stable")[:n].tolist()
