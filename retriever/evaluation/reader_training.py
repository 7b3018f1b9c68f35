"""Training the reader and its confidence on the public question sets, with cross-validated figures.

Every question is searched as /ask searches it; the candidate spans of its evidence sentences, graded by how
close they come to a gold answer, train the span ranker. Questions are split into folds by article, so that no
fold is scored by a model that saw its article. Out-of-fold, the scorer's choice per question gives the features
and the label (the answer holds a gold answer) of the confidence model, itself cross-validated over the same
folds. The held-out figures of both are the ones reported; the shipped models are then fitted on everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import DoubleTensorType
from tqdm import tqdm

from retriever.answers.answer import Evidence, confidence_of, gather_evidence
from retriever.answers.answer_scoring import CONFIDENT, contains_gold, scoring_form
from retriever.answers.calibration import fit, reliability
from retriever.answers.reader import CONFIDENCE_FEATURES, FEATURES_METADATA, SpanScorer, best_reading
from retriever.answers.span_features import FEATURES, Span, candidates
from retriever.evaluation.evaluate import Asked, Question, summarize_answers
from retriever.ranking.search import Searcher

FOLDS = 5
SCORER_PARAMETERS: dict[str, Any] = {
    "objective": "lambdarank",
    "lambdarank_truncation_level": 10,
    "eval_at": [1],
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
    "verbose": -1,
}
SCORER_ROUNDS = 400
CATEGORICAL = ("kind", "first_pos", "last_pos", "before_pos", "after_pos")


@dataclass
class Example:
    """One question with its evidence, candidate spans, their feature rows and labels."""

    question: Question
    set_name: str
    evidence: Evidence
    spans: list[Span]
    rows: np.ndarray
    labels: np.ndarray

    @property
    def fold(self) -> int:
        digest = hashlib.sha256(f"{self.set_name}/{self.question.article}".encode()).digest()
        return digest[0] % FOLDS


def span_label(span: str, golds: set[str]) -> float:
    """How good a span is as an answer: its F1 with the best gold answer when one holds the other (the answer
    plus or minus some words), else 0. Spans overlapping a gold answer only in part count as wrong."""
    best = 0.0
    for gold in golds:
        if span and (span in gold or gold in span):
            shorter, longer = sorted((len(span), len(gold)))
            best = max(best, 2 * shorter / (shorter + longer))
    return best


def example_of(question: Question, set_name: str, evidence: Evidence) -> Example:
    """The candidate spans of the question's evidence with their feature rows and labels."""
    spans, rows = candidates(evidence.view, evidence.sentences)
    golds = {scoring_form(answer) for answer in question.answers}
    labels = np.array(
        [span_label(scoring_form(evidence.sentences[s.sentence].text[s.start : s.end]), golds) for s in spans],
        dtype=np.float32,
    )
    return Example(question, set_name, evidence, spans, rows, labels)


def examples_of(searcher: Searcher, questions: Sequence[Question], set_name: str) -> list[Example]:
    """Search every question as /ask does and label its candidate spans."""
    return [
        example_of(question, set_name, gather_evidence(searcher, question.question))
        for question in tqdm(questions, desc=f"reading {set_name}", unit="question")
    ]


def relevance(labels: np.ndarray) -> np.ndarray:
    """Graded relevance for ranking: 3 an exact answer, 2 nearly (F1 ≥ 0.8), 1 in part (≥ 0.5), else 0."""
    return np.select([labels >= 1.0, labels >= 0.8, labels >= 0.5], [3, 2, 1], 0)


def ranker_model(booster: lgb.Booster) -> bytes:
    """The booster as an ONNX tree ensemble over float64 rows, with its feature names in the metadata.

    Evaluated in doubles it gives LightGBM's scores (within 3e-7 on the CMRC candidates), categorical splits
    included, which compare whole numbers as the features are."""
    model = convert_lightgbm(
        booster, initial_types=[("rows", DoubleTensorType([None, len(FEATURES)]))], target_opset=15, zipmap=False
    )
    entry = model.metadata_props.add()
    entry.key, entry.value = FEATURES_METADATA, json.dumps(list(FEATURES))
    return model.SerializeToString()


def train_scorer(examples: Sequence[Example]) -> bytes:
    """A ranker of each question's candidates (questions without a good candidate teach it nothing), as the ONNX
    model ``SpanScorer`` reads."""
    used = [e for e in examples if (e.labels >= 0.5).any()]
    if not used:
        raise ValueError("no question has its answer among the candidate spans of its evidence: nothing to learn")
    rows = np.vstack([e.rows for e in used])
    labels = np.concatenate([relevance(e.labels) for e in used])
    data = lgb.Dataset(
        rows,
        labels,
        group=[len(e.spans) for e in used],
        feature_name=list(FEATURES),
        categorical_feature=list(CATEGORICAL),
    )
    return ranker_model(lgb.train(SCORER_PARAMETERS, data, num_boost_round=SCORER_ROUNDS))


@dataclass(frozen=True)
class HeldOut:
    """Out-of-fold results per question: the answer the scorer chose, its confidence features, right or not."""

    answer: str | None
    features: dict[str, float]
    right: bool


def held_out_readings(examples: Sequence[Example], progress: Callable[[str], None] = print) -> list[HeldOut]:
    """The scorer's answer to each question, from a scorer trained on the other folds."""
    results: list[HeldOut | None] = [None] * len(examples)
    for fold in range(FOLDS):
        progress(f"span scorer: fold {fold + 1}/{FOLDS}")
        scorer = SpanScorer(train_scorer([e for e in examples if e.fold != fold]))
        for index, example in enumerate(examples):
            if example.fold != fold:
                continue
            probabilities = scorer.probabilities(example.rows)
            reading = best_reading(
                example.evidence.view, example.evidence.sentences, example.spans, example.rows, probabilities
            )
            right = contains_gold(reading.answer, example.question.answers)
            results[index] = HeldOut(reading.answer, reading.features, right)
    return [r for r in results if r is not None]


def confidence_rows(held_out: Sequence[HeldOut]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([[r.features[name] for name in CONFIDENCE_FEATURES] for r in held_out])
    return rows, np.array([int(r.right) for r in held_out])


def held_out_confidences(examples: Sequence[Example], held_out: Sequence[HeldOut]) -> np.ndarray:
    """Each question's confidence from a confidence model fitted on the other folds."""
    rows, labels = confidence_rows(held_out)
    folds = np.array([e.fold for e in examples])
    confidences = np.zeros(len(examples))
    for fold in range(FOLDS):
        weights = fit(rows[folds != fold], labels[folds != fold], CONFIDENCE_FEATURES)
        for index in np.flatnonzero(folds == fold):
            confidences[index] = confidence_of(held_out[index].features, weights)
    return confidences


def cross_validated_report(
    examples: Sequence[Example], held_out: Sequence[HeldOut], confidences: np.ndarray, min_confidence: float
) -> dict[str, dict[str, Any]]:
    """Per set: the answer figures of the evaluation contract and the calibration error, all out-of-fold."""
    report = {}
    for set_name in dict.fromkeys(e.set_name for e in examples):
        chosen = [i for i, e in enumerate(examples) if e.set_name == set_name]
        asked = [
            Asked(held_out[i].answer if confidences[i] >= min_confidence else None, float(confidences[i]))
            for i in chosen
        ]
        figures = summarize_answers([examples[i].question for i in chosen], asked)
        labels = np.array([int(held_out[i].right) for i in chosen])
        calibration = reliability(confidences[chosen], labels)
        report[set_name] = {
            "n": len(chosen),
            **{key: round(value, 4) for key, value in figures.items()},
            "ece": calibration["ece"],
            "bins": calibration["bins"],
            "confident_threshold": CONFIDENT,
            "answer_min_confidence": min_confidence,
        }
    return report
