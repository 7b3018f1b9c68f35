"""Fitting the answer confidence (a logistic regression from features to 'the answer is right') and measuring
how well a confidence is calibrated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

BINS = 10


def fit(features: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Logistic-regression weights by feature name, with the intercept as ``bias``."""
    model = LogisticRegression(C=1.0, max_iter=2000).fit(features, labels)
    weights = dict(zip(names, model.coef_[0].tolist(), strict=True))
    weights["bias"] = float(model.intercept_[0])
    return weights


def reliability(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Expected calibration error over equal-width bins, and the accuracy per bin."""
    edges = np.linspace(0, 1, BINS + 1)
    bins, ece = [], 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (probabilities >= low) & (probabilities < high if high < 1 else probabilities <= high)
        if inside.any():
            gap = abs(probabilities[inside].mean() - labels[inside].mean())
            ece += inside.mean() * gap
            bins.append({"range": [round(low, 1), round(high, 1)], "n": int(inside.sum()),
                         "confidence": round(float(probabilities[inside].mean()), 3),
                         "accuracy": round(float(labels[inside].mean()), 3)})
    return {"ece": round(float(ece), 4), "bins": bins}
