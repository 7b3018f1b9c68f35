"""Full evaluation runs on the public question sets: regression floors at the issue targets (run with -m slow)."""

import pytest

from retriever.evaluation.evaluate import evaluate, load_question_set
from retriever.indexes.seam import cached_index
from retriever.ranking.search import Searcher
from retriever.reading.loader import iter_corpus

from .conftest import PROJECT_ROOT, SAMPLE_CORPUS

EVAL = PROJECT_ROOT / "data" / "eval"

pytestmark = pytest.mark.slow


def run(questions, documents, settings, encoder, mode="hybrid"):
    searcher = Searcher.from_settings(cached_index(documents, settings, encoder), encoder)
    return evaluate(questions, lambda q, depth: [h.passage for h in searcher.search(q, depth, mode)])


def test_seed_questions_over_the_sample_corpus(settings, encoder):
    report = run(load_question_set(EVAL / "seed_questions.jsonl").questions, list(iter_corpus(SAMPLE_CORPUS)),
                 settings, encoder)
    assert report["hit@1"] >= 15 / 16
    assert report["hit@5"] == 1.0


def test_seed_questions_with_cmrc_paragraphs_as_distractors(settings, encoder):
    distractors = load_question_set(EVAL / "cmrc2018_trial.json").documents
    report = run(load_question_set(EVAL / "seed_questions.jsonl").questions,
                 list(iter_corpus(SAMPLE_CORPUS)) + distractors, settings, encoder)
    assert report["hit@5"] == 1.0


def test_cmrc_trial_with_short_passages(settings, encoder):
    question_set = load_question_set(EVAL / "cmrc2018_trial.json")
    short = settings.model_copy(update={"chunk_max_chars": 250})
    hybrid = run(question_set.questions, question_set.documents, short, encoder)
    dense = run(question_set.questions, question_set.documents, short, encoder, mode="dense")
    assert hybrid["hit@1"] >= 0.90
    assert hybrid["mrr@10"] >= 0.94
    assert hybrid["mrr@10"] > dense["mrr@10"]


def test_cmrc_trial_through_milvus_matches_the_embedded_backend(settings, encoder, tmp_path):
    pytest.importorskip("milvus_lite", reason="milvus-lite is not installed")
    from retriever.indexes.milvus.writer import build_milvus

    question_set = load_question_set(EVAL / "cmrc2018_trial.json")
    short = settings.model_copy(update={"chunk_max_chars": 250})
    milvus = short.model_copy(update={"milvus_uri": str(tmp_path / "milvus.db")})
    build_milvus(question_set.documents, milvus, encoder, full=True, show_progress=False)
    searcher = Searcher.from_settings(milvus, encoder)
    through_milvus = evaluate(question_set.questions, lambda q, depth: [h.passage for h in searcher.search(q, depth)])
    embedded = run(question_set.questions, question_set.documents, short, encoder)
    n = len(question_set.questions)
    for metric in ("hit@1", "hit@5", "hit@10"):
        assert abs(through_milvus[metric] - embedded[metric]) * n <= 1, metric


def test_xquad_english_questions_over_chinese_paragraphs(settings, encoder):
    short = settings.model_copy(update={"chunk_max_chars": 250})
    english = load_question_set(EVAL / "xquad_en2zh_public.json")
    hybrid = run(english.questions, english.documents, short, encoder)
    dense = run(english.questions, english.documents, short, encoder, mode="dense")
    assert hybrid["hit@1"] >= 0.80
    assert hybrid["mrr@10"] >= 0.87
    assert hybrid["hit@1"] >= dense["hit@1"]
    chinese = load_question_set(EVAL / "xquad_zh2zh_public.json")
    assert run(chinese.questions, chinese.documents, short, encoder)["hit@1"] >= 0.93
