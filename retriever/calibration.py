"""Fitting the answer confidence: a logistic regression from evidence features to 'the answer is right'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from retriever.answer import EVIDENCE_PASSAGES, FEATURES, answer_features, confidence_of
from retriever.evaluate import Question, normalize_answer
from retriever.search import Searcher

BINS = 10


def labelled_features(searcher: Searcher, questions: Sequence[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and 0/1 labels: does the evidence sentence the answer is drawn from contain a gold answer.

    The sentence, not the span, is judged: SQuAD-style gold answers are often whole phrases that a
    short span cannot equal, which would teach the model to distrust spans rather than weak evidence.
    """
    rows, labels = [], []
    for question in questions:
        plan = searcher.expander.plan(question.question)
        evidence = searcher.search(question.question, top_k=EVIDENCE_PASSAGES, mode="hybrid", plan=plan)
        if not evidence:
            continue
        _, sentence, features = answer_features(question.question, evidence, plan)
        evidence_sentence = normalize_answer(sentence)
        rows.append([features[name] for name in FEATURES])
        labels.append(int(any(normalize_answer(gold) in evidence_sentence for gold in question.answers)))
    return np.array(rows), np.array(labels)


def fit(features: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    model = LogisticRegression(C=1.0, max_iter=1000).fit(features, labels)
    weights = dict(zip(FEATURES, model.coef_[0].tolist()))
    weights["bias"] = float(model.intercept_[0])
    return weights


def probabilities(weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
    """The confidence ``weights`` give each feature row, computed as /ask computes it."""
    return np.array([confidence_of(dict(zip(FEATURES, row, strict=True)), weights) for row in rows])


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
