"""Full evaluation runs on the public question sets: regression floors, not targets (run with -m slow)."""

import pytest

from retriever.build import cached_index
from retriever.evaluate import evaluate, load_question_set
from retriever.loader import iter_corpus
from retriever.search import Searcher

from .conftest import PROJECT_ROOT, SAMPLE_CORPUS

EVAL = PROJECT_ROOT / "data" / "eval"

pytestmark = pytest.mark.slow


def run(questions, documents, settings, encoder, mode="hybrid"):
    searcher = Searcher.open(cached_index(documents, settings, encoder), settings, encoder)
    return evaluate(questions, lambda q, depth: [h.passage for h in searcher.search(q, depth, mode)])


def test_seed_questions_hybrid_floor(settings, encoder):
    report = run(load_question_set(EVAL / "seed_questions.jsonl").questions, list(iter_corpus(SAMPLE_CORPUS)),
                 settings, encoder)
    assert report["hit@5"] >= 0.8
    assert report["by_tag"]["fact"]["hit@1"] >= 0.85


def test_cmrc_trial_hybrid_beats_dense(settings, encoder):
    question_set = load_question_set(EVAL / "cmrc2018_trial.json")
    short = settings.model_copy(update={"chunk_max_chars": 250})
    hybrid = run(question_set.questions, question_set.documents, short, encoder)
    dense = run(question_set.questions, question_set.documents, short, encoder, mode="dense")
    assert hybrid["hit@5"] >= 0.95
    assert hybrid["mrr@10"] > dense["mrr@10"]
