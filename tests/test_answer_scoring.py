"""Answer scoring as the CMRC 2018 evaluation does it, and the answer figures of the evaluation contract."""

import pytest

from retriever.answers.answer_scoring import CONFIDENT, contains_gold, exact_match, f1, is_confident, scoring_form
from retriever.evaluation.evaluate import (
    Asked,
    Question,
    QuestionResult,
    evaluate,
    latency_percentiles,
    summarize_answers,
)


def test_scoring_form_drops_case_width_whitespace_and_punctuation():
    assert scoring_form("  ＡＢＣ，“268户” 。") == "abc268户"
    assert scoring_form("7700余万元") == "7700余万元"


def test_exact_match_f1_and_contains():
    golds = ("268户", "二百六十八户")
    assert exact_match("268 户。", golds) == 1.0
    assert exact_match("268户590人", golds) == 0.0
    # longest common substring 268户: precision 4/8, recall 4/4
    assert f1("268户590人", golds) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert f1("590人", golds) == 0.0
    assert contains_gold("共有268户590人", golds)
    assert not contains_gold("268", golds)
    assert exact_match(None, golds) == f1(None, golds) == 0.0 and not contains_gold(None, golds)


def test_answer_figures():
    questions = [Question(str(i), "?", (gold,)) for i, gold in enumerate(["甲", "乙", "丙", "丁"])]
    asked = [Asked("甲", 0.9), Asked("乙乙", 0.8), Asked("戊", 0.75), Asked(None, 0.1)]
    figures = summarize_answers(questions, asked)
    assert figures["answer_em"] == pytest.approx(0.25)
    assert figures["answered"] == pytest.approx(0.75)
    assert figures["confident"] == pytest.approx(0.75)
    # of the three confident answers, 戊 holds no gold answer (乙乙 holds 乙)
    assert figures["confident_wrong"] == pytest.approx(1 / 3)
    assert figures["answer_f1"] == pytest.approx((1 + 2 * 0.5 * 1 / 1.5) / 4)


def test_evaluate_with_answers_reports_rows_and_time():
    questions = [Question("a", "问一", ("甲",)), Question("b", "问二", ("乙",))]
    report = evaluate(questions, lambda q, depth: [], ks=(1,), ask=lambda q: Asked("甲" if q == "问一" else None, 0.9))
    assert report["answer_em"] == 0.5 and report["answered"] == 0.5
    rows = [r.row(with_answers=True) for r in report["questions"]]
    assert [set(row) for row in rows] == [{"id", "rank", "ms", "answer", "confidence"}] * 2
    assert rows[0]["answer"] == "甲" and rows[1]["answer"] is None and rows[0]["rank"] is None
    assert set(QuestionResult("x", 1, 2.0).row(with_answers=False)) == {"id", "rank", "ms"}
    assert {"ms_p50", "ms_p95", "ms_p99"} <= set(report)


def test_latency_percentiles():
    assert latency_percentiles([float(ms) for ms in range(1, 101)]) == {"ms_p50": 50.5, "ms_p95": 95.05, "ms_p99": 99.01}


def test_an_answer_is_confident_only_when_stated_at_the_threshold_or_above():
    assert is_confident("268户", CONFIDENT)
    assert not is_confident("268户", CONFIDENT - 0.01)
    assert not is_confident(None, 0.99)
