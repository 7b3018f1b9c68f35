"""Answering a question: the best evidence sentence, with a confidence and null when evidence is weak."""

from __future__ import annotations

from dataclasses import dataclass

from retriever.search import Searcher, SearchHit

EVIDENCE_PASSAGES = 3


@dataclass(frozen=True)
class Answer:
    answer: str | None
    confidence: float
    evidence: list[SearchHit]


def dense_confidence(cosine: float, floor: float, ceiling: float) -> float:
    """Map the top passage's cosine onto [0, 1] between the model's no-match floor and sure-match ceiling."""
    return min(1.0, max(0.0, (cosine - floor) / (ceiling - floor)))


def answer_question(searcher: Searcher, question: str) -> Answer:
    """The sentence of the best hybrid hit that covers most of the question, or None below the threshold."""
    settings = searcher.settings
    evidence = searcher.search(question, top_k=EVIDENCE_PASSAGES, mode="hybrid")
    if not evidence:
        return Answer(answer=None, confidence=0.0, evidence=[])
    best = evidence[0]
    confidence = dense_confidence(best.dense_score, settings.answer_cosine_floor, settings.answer_cosine_ceiling)
    answer = best.sentence if confidence >= settings.answer_min_confidence else None
    return Answer(answer=answer, confidence=round(confidence, 4), evidence=evidence)
