"""The reader: picks the answer span among the candidates of the evidence sentences with a learned scorer.

The scorer is a LightGBM ranker over ``span_features.FEATURES``, trained by ``retriever calibrate reader`` on the
public question sets (relevance: how close the span is to a gold answer, see ``reader_training.span_label``). It
ships as an ONNX tree ensemble (``retriever/data/reader/span_scorer.onnx``) and loads offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

from retriever.answers.span_features import FEATURES, KINDS, EvidenceSentence, QuestionView, Span, candidates
from retriever.errors import DataFileError
from retriever.package_data import data_file

READER_MODEL = data_file("reader", "span_scorer.onnx")
FEATURES_METADATA = "features"
"""The ONNX model's metadata key holding the feature names it was trained on, in order."""
SPAN_CONFIDENCE_FEATURES = (
    "rule_span", "rule_tier", "unit_match", "left_bigrams", "right_bigrams", "in_question_share", "head_share",
)
"""Features of the chosen span itself that the confidence also sees."""
CONFIDENCE_FEATURES: tuple[str, ...] = (
    "span_logit", "margin", "support", "passage_rank", "sentence_coverage", "passage_dense", "score_gap",
    "candidates_log", "span_chars_log", "asks_why_or_how", *SPAN_CONFIDENCE_FEATURES,
    *(f"kind_{kind}" for kind in KINDS),
)
_WHY_OR_HOW = re.compile(r"为什么|为何|怎么|怎样|如何|什么作用|什么影响|什么意义|\bwhy\b|\bhow (?!many|much|long|far|old)")


@dataclass(frozen=True)
class Reading:
    """The best span (None when no sentence holds an admissible one), its sentence, and what the confidence is
    computed from."""

    answer: str | None
    sentence: EvidenceSentence | None
    features: dict[str, float]


def softmax(scores: np.ndarray) -> np.ndarray:
    if not len(scores):
        return scores
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


class SpanScorer:
    """How likely each of a question's candidate spans is its answer: a softmax over the ranker's scores.

    The ranker is LightGBM's, trained by ``retriever.evaluation.reader_training`` and stored as an ONNX tree ensemble
    (``ranker_model``), which ONNX Runtime evaluates: serving never imports LightGBM and the libraries it pulls in.
    """

    def __init__(self, model: bytes) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        metadata = self._session.get_modelmeta().custom_metadata_map
        if tuple(json.loads(metadata.get(FEATURES_METADATA, "[]"))) != FEATURES:
            raise DataFileError("the span scorer was trained on other features: run `retriever calibrate reader`")
        self._input = self._session.get_inputs()[0].name

    @classmethod
    def load(cls, path: Path = READER_MODEL) -> SpanScorer:
        return cls(path.read_bytes())

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        scores = self._session.run(None, {self._input: np.asarray(rows, dtype=np.float64)})[0]
        return softmax(np.asarray(scores, dtype=np.float64).ravel())


@lru_cache(maxsize=1)
def default_scorer() -> SpanScorer:
    return SpanScorer.load()


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def best_reading(
    view: QuestionView,
    sentences: Sequence[EvidenceSentence],
    spans: Sequence[Span],
    rows: np.ndarray,
    probabilities: np.ndarray,
) -> Reading:
    """The most probable span with the confidence features: its probability (as a logit), its margin over the
    best span that does not overlap it, and the share of all probability on spans overlapping it."""
    question_flags = {f"kind_{kind}": float(view.kind == kind) for kind in KINDS}
    question_flags["asks_why_or_how"] = float(_WHY_OR_HOW.search(view.matching) is not None)
    if not len(spans):
        first = sentences[0] if sentences else None
        return Reading(None, first, _empty_features(first) | question_flags)
    best = int(np.argmax(probabilities))
    top = spans[best]
    overlapping = np.array(
        [s.sentence == top.sentence and s.start < top.end and top.start < s.end for s in spans], dtype=bool
    )
    rival = float(probabilities[~overlapping].max()) if (~overlapping).any() else 0.0
    sentence = sentences[top.sentence]
    features = {
        "span_logit": _logit(float(probabilities[best])),
        "margin": float(probabilities[best]) - rival,
        "support": float(probabilities[overlapping].sum() / max(probabilities.sum(), 1e-9)),
        "passage_rank": float(sentence.passage_rank),
        "sentence_coverage": sentence.coverage,
        "passage_dense": sentence.passage_dense,
        "score_gap": _passage_gap(sentences),
        "candidates_log": float(np.log1p(len(spans))),
        "span_chars_log": float(np.log(top.end - top.start)),
        **{name: float(rows[best, FEATURES.index(name)]) for name in SPAN_CONFIDENCE_FEATURES},
    }
    return Reading(sentence.text[top.start : top.end], sentence, features | question_flags)


def _empty_features(sentence: EvidenceSentence | None) -> dict[str, float]:
    return {
        "span_logit": _logit(0.0),
        "margin": 0.0,
        "support": 0.0,
        "passage_rank": 0.0,
        "sentence_coverage": sentence.coverage if sentence else 0.0,
        "passage_dense": sentence.passage_dense if sentence else 0.0,
        "score_gap": 0.0,
        "candidates_log": 0.0,
        "span_chars_log": 0.0,
        **dict.fromkeys(SPAN_CONFIDENCE_FEATURES, 0.0),
    }


def _passage_gap(sentences: Sequence[EvidenceSentence]) -> float:
    """How far the first passage's fused score stands above the next passage's among the evidence sentences."""
    gaps = [s.score_gap for s in sentences if s.passage_rank > 0]
    return min(gaps) if gaps else 1.0


def read(view: QuestionView, sentences: Sequence[EvidenceSentence], scorer: SpanScorer | None = None) -> Reading:
    """The answer span the scorer prefers among every admissible candidate of ``sentences``."""
    spans, rows = candidates(view, sentences)
    return best_reading(view, sentences, spans, rows, (scorer or default_scorer()).probabilities(rows))
