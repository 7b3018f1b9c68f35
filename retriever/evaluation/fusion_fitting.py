"""Fitting weighted fusion's dense weight per question language, with a cross-validated report.

Every question is searched through the real ``Searcher`` at each weight of a grid. A language's weight is the one
with the best MRR@10 over its questions (hit@1, then closeness to an even split, break ties). Cross-validation: the
articles fall into two folds; each fold's figures come from the weight chosen on the other fold.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm import tqdm

from retriever.evaluation.evaluate import MRR_DEPTH, Question, first_hit_rank, summarize
from retriever.ranking.search import Searcher
from retriever.reading.text import Language, question_language

GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FOLDS = 2


@dataclass(frozen=True)
class Trial:
    """One question's first-hit rank (None: not in the top ``MRR_DEPTH``) at every weight of the grid."""

    set_name: str
    language: Language
    fold: int
    ranks: dict[float, int | None]


def _fold(article: str) -> int:
    return int(hashlib.sha256(article.encode()).hexdigest(), 16) % FOLDS


def trials_of(
    searcher: Searcher, questions: Sequence[Question], set_name: str, grid: Sequence[float] = GRID
) -> list[Trial]:
    """Search every question at every weight (both languages' weights set to it)."""
    ranks: list[dict[float, int | None]] = [{} for _ in questions]
    for alpha in grid:
        weighted = copy.copy(searcher)
        weighted.settings = searcher.settings.model_copy(
            update={"fusion": "weighted", "fusion_alpha": alpha, "fusion_alpha_english": alpha}
        )
        for question, row in zip(
            questions, tqdm(ranks, desc=f"{set_name} at {alpha}", unit="question", leave=False), strict=True
        ):
            row[alpha] = first_hit_rank(
                question, [hit.passage for hit in weighted.search(question.question, MRR_DEPTH)]
            )
    return [
        Trial(set_name, question_language(question.question), _fold(question.article or question.qid), row)
        for question, row in zip(questions, ranks, strict=True)
    ]


def _figures(trials: Sequence[Trial], alpha: float) -> dict[str, float]:
    return summarize([trial.ranks[alpha] for trial in trials], ks=(1,))


def best_alpha(trials: Sequence[Trial], grid: Sequence[float] = GRID) -> float:
    """The weight with the best MRR@10 over ``trials`` (then hit@1, then the one nearest 0.5)."""

    def merit(alpha: float) -> tuple[float, float, float]:
        figures = _figures(trials, alpha)
        return figures[f"mrr@{MRR_DEPTH}"], figures["hit@1"], -abs(alpha - 0.5)

    return max(grid, key=merit)


def fit_fusion(trials: Sequence[Trial], grid: Sequence[float] = GRID) -> dict[str, object]:
    """The weight per language fitted on all ``trials``, and per set and language the cross-validated figures
    (each fold at the weight chosen on the other) beside the figures at the fitted weight (in-sample)."""
    languages = sorted({trial.language for trial in trials})
    alphas = {language: best_alpha([t for t in trials if t.language == language], grid) for language in languages}
    report: dict[str, dict[str, object]] = {}
    for language in languages:
        of_language = [t for t in trials if t.language == language]
        held_out = {fold: best_alpha([t for t in of_language if t.fold != fold], grid) for fold in range(FOLDS)}
        for set_name in sorted({t.set_name for t in of_language}):
            of_set = [t for t in of_language if t.set_name == set_name]
            cross_validated = summarize([t.ranks[held_out[t.fold]] for t in of_set], ks=(1,))
            in_sample = _figures(of_set, alphas[language])
            report[f"{set_name} ({language})"] = {
                "n": len(of_set),
                "hit@1": round(cross_validated["hit@1"], 4),
                f"mrr@{MRR_DEPTH}": round(cross_validated[f"mrr@{MRR_DEPTH}"], 4),
                "in_sample_hit@1": round(in_sample["hit@1"], 4),
                f"in_sample_mrr@{MRR_DEPTH}": round(in_sample[f"mrr@{MRR_DEPTH}"], 4),
                "fold_alphas": [held_out[fold] for fold in range(FOLDS)],
            }
    return {"alpha": alphas, "grid": list(grid), "cross_validated": report}
