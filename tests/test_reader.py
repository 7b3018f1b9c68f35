"""The reader on real passages: each kind of question, Traditional text, English questions, and the type
constraints that keep a wrong kind of span from ever being an answer."""

from __future__ import annotations

import pytest

from retriever.answers.answer import answer_question
from retriever.answers.reader import read
from retriever.answers.span_features import candidates, evidence_sentences, view_question

# Sentences from the bundled sample corpus (001, 002), news-style sentences, and a Traditional Chinese one.
INSPECTION = (
    "按照自治区、盟扶贫办工作部署和“六个精准”、“五个一批”的总体要求，几年来，人大阿拉善盟工委主任查斯太6次深入"
    "基层开展脱贫攻坚专题调研，督促基层苏木镇扎实落实各项帮扶措施。"
)
VISIT = "去年9月，中央政法委秘书长陈一新首次到扎旗调研扶贫工作，各位副秘书长也都分别到扎旗调研。"
CATTLE = "协调引进北京祥达瑞林农业科技公司，投资建设万头安格斯肉牛养殖屠宰加工项目，即将开工建设。"
SITE = "易地扶贫搬迁安置点位于白塔镇石门沟村，距县城12公里。"
CROPS = "宝顶村共有4个村民小组，全村重点发展核桃、花椒和茶叶三大产业。"
TENNIS = "2013年職業網球協會挑戰賽試行了新規則，這些規則是主辦方與國際網球協會討論後決定的。"


def answer(question: str, *passages: str) -> str | None:
    view = view_question(question)
    return read(view, evidence_sentences(view, [(text, 1.0 - 0.1 * i, 0.8) for i, text in enumerate(passages)])).answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("谁6次深入基层开展脱贫攻坚专题调研？", "查斯太"),  # person
        ("人大阿拉善盟工委主任深入基层开展了几次专题调研？", "6次"),  # quantity
        ("陈一新什么时候首次到扎旗调研扶贫工作？", "去年9月"),  # time
        ("哪家公司投资建设万头安格斯肉牛养殖屠宰加工项目？", "北京祥达瑞林农业科技公司"),  # organisation
        ("易地扶贫搬迁安置点位于哪里？", "白塔镇石门沟村"),  # place
        ("安置点距县城多少公里？", "12公里"),  # quantity with a unit
        ("2013年職業網球協會挑戰賽的新規則是主辦方與哪個組織討論後決定的？", "國際網球協會"),  # Traditional
    ],
)
def test_reader_picks_the_span_of_the_asked_kind(question, expected):
    assert answer(question, INSPECTION, VISIT, CATTLE, SITE, TENNIS) == expected


def test_a_list_question_gets_the_enumeration():
    found = answer("宝顶村重点发展哪三大产业？", CROPS)
    assert found is not None and all(item in found for item in ("核桃", "花椒", "茶叶"))


def test_a_number_in_another_unit_is_never_the_answer():
    # the question asks for households; the only figures are people and kilometres
    view = view_question("村里有多少户参加了培训？")
    sentences = evidence_sentences(view, [("村里共有120人参加了培训，培训基地距村部3公里。", 1.0, 0.8)])
    spans, rows = candidates(view, sentences)
    assert rows.shape == (len(spans), rows.shape[1])
    assert all(not any(ch.isdigit() for ch in sentences[s.sentence].text[s.start : s.end]) for s in spans)
    assert read(view, sentences).answer is None


def test_a_time_question_gets_only_spans_with_a_date_word():
    view = view_question("培训是什么时候举行的？")
    sentences = evidence_sentences(view, [("培训在村委会会议室举行，2020年8月28日结束。", 1.0, 0.8)])
    spans, _ = candidates(view, sentences)
    assert spans and all(any(ch in "0123456789年月日" for ch in sentences[s.sentence].text[s.start : s.end]) for s in spans)


def test_traditional_questions_are_classified_like_simplified_ones():
    assert view_question("這座橋是哪一年建成的？").kind == view_question("这座桥是哪一年建成的？").kind == "time"
    assert view_question("比賽有多少萬人觀看？").unit == "人"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("阿拉善盟现有建档立卡脱贫户多少户？", "3906户"),
        ("How many households did Tumed Right Banner lift out of poverty?", "268户"),
    ],
)
def test_ask_over_the_sample_index(searcher, question, expected):
    result = answer_question(searcher, question)
    assert result.answer == expected
    assert result.sentence and expected in result.sentence
    assert f"<mark>{expected}</mark>" in result.highlight


def test_an_unanswerable_question_gets_evidence_but_no_answer(searcher):
    result = answer_question(searcher, "What is the boiling point of liquid nitrogen in Kelvin?")
    assert result.answer is None
    assert result.confidence < searcher.settings.answer_min_confidence
    assert result.evidence and result.sentence
