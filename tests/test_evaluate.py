import json

import pytest

from retriever.evaluation.evaluate import (
    Question,
    evaluate,
    first_hit_rank,
    format_report,
    is_hit,
    load_question_set,
    summarize,
)
from retriever.reading.documents import Passage


def passage(doc_id: str, text: str, position: int = 0) -> Passage:
    return Passage(f"{doc_id}#{position}", doc_id, position, 0, len(text), text, "")


def test_hit_needs_the_gold_document_and_an_answer_after_normalisation():
    question = Question("q", "?", ("268户",), doc="a")
    assert is_hit(question, passage("a", "土右旗２６８\n户590人"))
    assert not is_hit(question, passage("b", "土右旗268户"))
    assert not is_hit(question, passage("a", "土右旗269户"))
    assert is_hit(Question("q", "?", ("x", "268户")), passage("b", "268 户"))


def test_metrics_on_a_hand_made_ranking():
    questions = [
        Question("q1", "one", ("甲",), tags=("fact",)),
        Question("q2", "two", ("乙",), tags=("fact", "alias")),
        Question("q3", "three", ("丙",), tags=("alias",)),
    ]
    rankings = {
        "one": [passage("d", "甲")],
        "two": [passage("d", "无"), passage("d", "无"), passage("d", "乙")],
        "three": [passage("d", "无")] * 20,
    }
    report = evaluate(questions, lambda q, depth: rankings[q][:depth], ks=(1, 3, 5))
    assert {r.id: r.rank for r in report["questions"]} == {"q1": 1, "q2": 3, "q3": None}
    assert report["hit@1"] == pytest.approx(1 / 3)
    assert report["hit@3"] == pytest.approx(2 / 3)
    assert report["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert report["by_tag"]["alias"]["hit@3"] == pytest.approx(0.5)
    assert report["by_tag"]["fact"]["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)
    assert "alias" in format_report(report)


def test_mrr_ignores_hits_below_depth_ten():
    assert summarize([11], ks=(20,)) == {"n": 1, "hit@20": 1.0, "mrr@10": 0.0}
    assert first_hit_rank(Question("q", "?", ("乙",)), [passage("d", "甲"), passage("d", "乙")]) == 2


def test_loads_seed_jsonl_and_squad(tmp_path):
    seed = tmp_path / "seed.jsonl"
    seed.write_text(
        json.dumps({"id": "p1", "question": "多少？", "answers": ["3户"], "doc": "x", "lang": "zh", "tags": ["fact"]})
        + "\n",
        encoding="utf-8",
    )
    loaded = load_question_set(seed)
    assert loaded.documents == []
    assert loaded.questions == [Question("p1", "多少？", ("3户",), "x", ("fact", "lang:zh"), article="x")]

    squad = tmp_path / "squad.json"
    squad.write_text(
        json.dumps(
            {
                "version": "v1",
                "data": [
                    {
                        "id": "A",
                        "title": "标题",
                        "paragraphs": [
                            {
                                "id": "A_0",
                                "context": "北京是首都。",
                                "qas": [{"id": "A_0_q", "question": "首都？", "answers": [{"text": "北京"}] * 2}],
                            }
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    loaded = load_question_set(squad)
    assert [d.doc_id for d in loaded.documents] == ["A_0"]
    assert loaded.questions == [Question("A_0_q", "首都？", ("北京",), tags=("lang:zh",), article="A")]


def test_squad_questions_are_tagged_with_their_language(tmp_path):
    qas = [
        {"id": "en", "question": "What is the capital of China?", "answers": [{"text": "北京"}]},
        {"id": "zh", "question": "5G基站在哪里？", "answers": [{"text": "北京"}]},
    ]
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"data": [{"paragraphs": [{"context": "北京。", "qas": qas}]}]}), encoding="utf-8")
    assert [q.tags for q in load_question_set(squad).questions] == [("lang:en",), ("lang:zh",)]


def test_bad_question_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_question_set(bad)
