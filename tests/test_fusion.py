import numpy as np

from retriever.ranking.fusion import minmax, rrf_fusion, weighted_fusion


def test_minmax_scales_to_unit_range_and_flattens_constants():
    assert np.allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert np.allclose(minmax(np.array([5.0, 5.0])), [0.0, 0.0])


def test_weighted_fusion_blends_normalised_scores():
    dense = np.array([0.9, 0.8, 0.7])
    lexical = np.array([0.0, 10.0, 5.0])
    assert np.allclose(weighted_fusion(dense, lexical, 0.5), [0.5, 0.75, 0.25])
    assert np.allclose(weighted_fusion(dense, lexical, 1.0), minmax(dense))


def test_rrf_counts_only_lexical_matches():
    dense = np.array([0.9, 0.8, 0.7])
    lexical = np.array([0.0, 3.0, 0.0])
    fused = rrf_fusion(dense, lexical, k=60)
    assert np.isclose(fused[0], 1 / 61)
    assert np.isclose(fused[1], 1 / 62 + 1 / 61)
    assert np.isclose(fused[2], 1 / 63)
