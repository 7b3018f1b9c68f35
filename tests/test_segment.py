from pathlib import Path

import pytest

from retriever.documents import Document
from retriever.loader import iter_corpus
from retriever.segment import chunk_document, chunk_spans, paragraph_spans, sentence_spans

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def test_blank_lines_separate_paragraphs_and_hard_wraps_stay_inside():
    text = "标题\n\n第一段第一行\n第一段第二行。\n\n  第二段。  \n"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["标题", "第一段第一行\n第一段第二行。", "第二段。"]


def test_text_without_blank_lines_has_one_paragraph_per_line():
    text = "第一段。\n第二段。\n\n"[:-2] + "\n第三段。"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["第一段。", "第二段。", "第三段。"]


def test_sentences_end_after_punctuation_and_closing_quotes():
    text = "他说：“好。”然后走了！最后一句没有句号"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["他说：“好。”", "然后走了！", "最后一句没有句号"]


@pytest.mark.parametrize("max_chars", [50, 80, 120, 250, 400])
def test_every_passage_respects_the_limit_and_points_into_its_document(max_chars):
    for document in iter_corpus(CORPUS):
        passages = chunk_document(document, max_chars)
        assert passages
        for passage in passages:
            assert 0 < passage.end - passage.start <= max_chars
            assert document.text[passage.start : passage.end] == passage.text
            assert passage.text == passage.text.strip()
        starts = [p.start for p in passages]
        assert starts == sorted(starts)
        assert all(a.end <= b.start for a, b in zip(passages, passages[1:]))


def test_long_paragraph_splits_at_sentence_ends():
    sentence = "这是一个用来测试分句的句子。"
    text = sentence * 10
    spans = chunk_spans(text, 3 * len(sentence))
    assert [e - s for s, e in spans] == [3 * len(sentence)] * 3 + [len(sentence)]
    assert all(text[s:e].endswith("。") for s, e in spans)


def test_sentence_longer_than_limit_is_cut_at_a_comma_when_one_is_near():
    text = "甲" * 30 + "，" + "乙" * 30 + "。"
    assert [text[s:e] for s, e in chunk_spans(text, 40)] == ["甲" * 30 + "，", "乙" * 30 + "。"]


def test_passage_ids_are_stable_and_unique():
    document = Document(doc_id="news/a", title="t", text="一。\n\n二。\n\n三。")
    first, second = chunk_document(document, 100), chunk_document(document, 100)
    assert [p.passage_id for p in first] == [p.passage_id for p in second] == ["news/a#0", "news/a#1", "news/a#2"]
