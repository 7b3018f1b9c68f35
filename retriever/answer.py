"""Answering a question: the shortest answering span, its evidence sentence and passage, and a calibrated confidence."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from retriever.answer_span import QuestionKind, classify_question, extract_answer
from retriever.expand import QueryPlan
from retriever.highlight import covered_chars, mark_terms
from retriever.search import Searcher, SearchHit, highlight_terms
from retriever.segment import sentence_spans

EVIDENCE_PASSAGES = 3
CALIBRATION_FILE = Path(__file__).resolve().parent.parent / "data" / "answer_calibration.json"
FEATURES = ("dense", "margin", "coverage", "span")


@dataclass(frozen=True)
class Answer:
    answer: str | None
    confidence: float
    kind: QuestionKind
    sentence: str | None
    highlight: str | None
    evidence: list[SearchHit]
    plan: QueryPlan


@lru_cache(maxsize=1)
def calibration() -> dict[str, float]:
    """Logistic-regression weights fitted by ``scripts/calibrate_answers.py`` on the public question sets."""
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["weights"]


def confidence_of(features: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the answer is right | evidence features), from the fitted logistic model (or the given weights)."""
    weights = weights or calibration()
    z = weights["bias"] + sum(weights[name] * features[name] for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def coverage(question_terms: list[str], sentence: str) -> float:
    """Share of the question's terms (by characters) that the sentence contains."""
    total = sum(len(t) for t in question_terms)
    return covered_chars(sentence, question_terms) / total if total else 0.0


def _sentences_by_coverage(text: str, terms: list[str]) -> list[str]:
    sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
    return sorted(sentences, key=lambda sentence: -coverage(terms, sentence))


def answer_features(
    question: str, evidence: list[SearchHit], plan: QueryPlan
) -> tuple[str | None, str, dict[str, float]]:
    """The span (or None), the sentence it came from, and the features the confidence is computed from.

    The expansion's Chinese terms count as question terms, so English questions find their sentence.
    """
    terms = highlight_terms(question) + plan.added_terms
    best = evidence[0]
    span, sentence = None, best.sentence
    for candidate in _sentences_by_coverage(best.text, terms)[:3]:
        span = extract_answer(f"{question} {' '.join(plan.added_terms)}", candidate, best.text)
        if span:
            sentence = candidate
            break
    margin = best.score - evidence[1].score if len(evidence) > 1 else best.score
    features = {
        "dense": best.dense_score,
        "margin": margin,
        "coverage": coverage(terms, sentence),
        "span": 1.0 if span else 0.0,
    }
    return span, sentence, features


def answer_question(searcher: Searcher, question: str) -> Answer:
    """The shortest answering span (a number with its unit, a name, a date…) or, for open questions, the
    evidence sentence; null when the calibrated confidence is below the configured threshold."""
    kind = classify_question(question)
    plan = searcher.expander.plan(question)
    evidence = searcher.search(question, top_k=EVIDENCE_PASSAGES, mode="hybrid", plan=plan)
    if not evidence:
        return Answer(None, 0.0, kind, None, None, [], plan)
    span, sentence, features = answer_features(question, evidence, plan)
    confidence = confidence_of(features)
    if confidence < searcher.settings.answer_min_confidence:
        return Answer(None, round(confidence, 4), kind, None, None, evidence, plan)
    marked = mark_terms(sentence, [span] if span else highlight_terms(question) + plan.added_terms)
    return Answer(span or sentence, round(confidence, 4), kind, sentence, marked, evidence, plan)
