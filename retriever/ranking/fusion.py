"""Combining the dense and lexical rankings into one."""

from __future__ import annotations

import numpy as np


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1]; a constant list maps to zeros (it cannot tell passages apart)."""
    if scores.size == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low <= 1e-12:
        return np.zeros_like(scores)
    return (scores - low) / (high - low)


def weighted_fusion(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha``·dense + (1 − ``alpha``)·lexical, each min–max normalised over the candidates."""
    return alpha * minmax(dense) + (1.0 - alpha) * minmax(lexical)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry by descending score."""
    ranks = np.empty(scores.size, dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, scores.size + 1)
    return ranks


def rrf_fusion(dense: np.ndarray, lexical: np.ndarray, k: int) -> np.ndarray:
    """Reciprocal rank fusion: Σ 1/(k + rank); passages without a lexical match get no lexical share."""
    fused = 1.0 / (k + _ranks(dense))
    matched = lexical > 0
    fused[matched] += 1.0 / (k + _ranks(lexical)[matched])
    return fused
