"""Answering a question: the reader's span, its evidence sentence and passages, and a calibrated confidence.

The confidence is the probability that the stated answer holds a gold answer, from a logistic model over the
reader's own certainty and the evidence (fitted on held-out folds by ``retriever calibrate reader``). Below
``answer_min_confidence`` no answer is stated: the evidence is returned alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from retriever.answers.answer_scoring import is_confident
from retriever.answers.reader import CONFIDENCE_FEATURES, read
from retriever.answers.span_features import EvidenceSentence, QuestionView, evidence_sentences, view_question
from retriever.indexes.backend import Filters
from retriever.package_data import data_file
from retriever.query.expand import QueryPlan
from retriever.ranking.answer_span import QuestionKind
from retriever.ranking.highlight import mark_terms
from retriever.ranking.search import Searcher, SearchHit

EVIDENCE_PASSAGES = 3
CALIBRATION_FILE = data_file("reader", "confidence.json")


@dataclass(frozen=True)
class Answer:
    """What /ask returns: the answer span (``None`` below the configured confidence), its calibrated ``confidence``,
    the question's ``kind``, the ``sentence`` it was read from with the answer (or the question's terms) marked in
    ``highlight``, the ``evidence`` passages and the query's expansion ``plan``."""

    answer: str | None
    confidence: float
    kind: QuestionKind
    sentence: str | None
    highlight: str | None
    evidence: list[SearchHit]
    plan: QueryPlan

    @property
    def confident(self) -> bool:
        """Whether the answer is stated with confidence (the /ask response's ``confident``)."""
        return is_confident(self.answer, self.confidence)


@dataclass(frozen=True)
class Evidence:
    """What a question is answered from: its expansion, the top passages, and their best sentences."""

    plan: QueryPlan
    hits: list[SearchHit]
    view: QuestionView
    sentences: list[EvidenceSentence]


@lru_cache(maxsize=1)
def calibration() -> dict[str, float]:
    """Logistic-regression weights fitted by ``retriever calibrate reader`` on the public question sets."""
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["weights"]


def confidence_of(features: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the answer is right | reader and evidence features), from the fitted logistic model (or given weights)."""
    weights = weights or calibration()
    z = weights["bias"] + sum(weights[name] * features[name] for name in CONFIDENCE_FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def gather_evidence(searcher: Searcher, question: str, filters: Filters | None = None) -> Evidence:
    """Search as /ask does and pick the evidence sentences the reader reads.

    The expansion's Chinese terms count as question terms, so English questions find their sentence.
    """
    plan = searcher.expander.plan(question)
    hits = searcher.search(question, top_k=EVIDENCE_PASSAGES, mode="hybrid", plan=plan, filters=filters)
    view = view_question(question, plan.added_terms, searcher.backend.tokenizer)
    sentences = evidence_sentences(view, [(hit.text, hit.score, hit.dense_score) for hit in hits])
    return Evidence(plan, hits, view, sentences)


def answer_question(searcher: Searcher, question: str, filters: Filters | None = None) -> Answer:
    """The answer span with its sentence and confidence, or, below the configured confidence, no answer: only
    the evidence, its best sentence highlighted; with ``filters``, from matching documents only."""
    evidence = gather_evidence(searcher, question, filters)
    kind = evidence.view.kind
    if not evidence.hits:
        return Answer(None, 0.0, kind, None, None, [], evidence.plan)
    reading = read(evidence.view, evidence.sentences)
    confidence = round(confidence_of(reading.features), 4)
    sentence = reading.sentence.text if reading.sentence else evidence.hits[0].sentence
    if reading.answer is None or confidence < searcher.settings.answer_min_confidence:
        terms = list(evidence.view.terms)
        return Answer(None, confidence, kind, sentence, mark_terms(sentence, terms), evidence.hits, evidence.plan)
    marked = mark_terms(sentence, [reading.answer])
    return Answer(reading.answer, confidence, kind, sentence, marked, evidence.hits, evidence.plan)
