from pathlib import Path

import pytest

from retriever.reading.documents import Document
from retriever.reading.loader import iter_corpus
from retriever.reading.segment import chunk_document, chunk_spans, classify, paragraph_spans, sentence_spans

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"


def test_blank_lines_separate_paragraphs_and_hard_wraps_stay_inside():
    text = "标题\n\n第一段第一行\n第一段第二行。\n\n  第二段。  \n"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["标题", "第一段第一行\n第一段第二行。", "第二段。"]


def test_text_without_blank_lines_has_one_paragraph_per_line():
    text = "第一段。\n第二段。\n\n"[:-2] + "\n第三段。"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["第一段。", "第二段。", "第三段。"]


def test_sentences_end_after_punctuation_and_closing_quotes():
    text = "他说：“好。”然后走了！最后一句没有句号"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["他说：“好。”", "然后走了！", "最后一句没有句号"]


@pytest.mark.parametrize(("max_chars", "overlap", "min_chars"), [(50, 0, 0), (80, 30, 40), (120, 60, 60), (250, 60, 60), (400, 80, 100)])
def test_every_passage_respects_the_limit_and_points_into_its_document(max_chars, overlap, min_chars):
    for document in iter_corpus(CORPUS):
        passages = chunk_document(document, max_chars, overlap, min_chars)
        assert passages
        for passage in passages:
            assert 0 < passage.end - passage.start <= max_chars
            assert document.text[passage.start : passage.end] == passage.text
            assert passage.text == passage.text.strip()
        starts = [p.start for p in passages]
        assert starts == sorted(starts)
        assert all(b.start >= a.start and b.start >= a.end - overlap for a, b in zip(passages, passages[1:]))


def test_long_paragraph_splits_at_sentence_ends():
    sentence = "这是一个用来测试分句的句子。"
    text = sentence * 10
    spans = chunk_spans(text, 3 * len(sentence))
    assert [e - s for s, e, _ in spans] == [3 * len(sentence)] * 3 + [len(sentence)]
    assert all(text[s:e].endswith("。") for s, e, _ in spans)


def test_split_repeats_a_short_closing_sentence_as_overlap():
    sentences = [f"第{i}句话写在这里。" for i in range(6)]
    text = "".join(sentences)
    size = len(sentences[0])
    spans = chunk_spans(text, 3 * size, overlap_chars=size)
    assert [text[s:e] for s, e, _ in spans] == [
        "".join(sentences[0:3]),
        "".join(sentences[2:5]),
        "".join(sentences[4:6]),
    ]


def test_headings_become_section_context_and_captions_are_left_out():
    text = (
        "加强监督 推动任务落实\n\n"
        "阿拉善盟辖阿拉善左旗、阿拉善右旗、额济纳旗3个旗。\n\n"
        "图一：3月13日，秘书长到扶贫点调研。\n\n"
        "全盟现有建档立卡脱贫户3906户9461人。"
    )
    spans = chunk_spans(text, 200)
    assert [(text[s:e], section) for s, e, section in spans] == [
        ("阿拉善盟辖阿拉善左旗、阿拉善右旗、额济纳旗3个旗。", "加强监督 推动任务落实"),
        ("全盟现有建档立卡脱贫户3906户9461人。", "加强监督 推动任务落实"),
    ]
    assert classify("图为陈一新实地走访贫困户。") == "caption"
    assert classify("（记者 王祯 摄）") == "caption"


def test_short_paragraphs_merge_with_the_next_when_they_fit():
    text = "短段落一。\n\n短段落二。\n\n" + "长" * 50 + "。"
    spans = chunk_spans(text, 60, min_chars=20)
    assert [(s, e) for s, e, _ in spans] == [(0, len("短段落一。\n\n短段落二。")), (len("短段落一。\n\n短段落二。\n\n"), len(text))]


def test_a_text_of_headings_only_still_has_passages():
    assert [(s, e) for s, e, _ in chunk_spans("北京\n\n上海", 100)] == [(0, 2), (4, 6)]


def test_sentence_longer_than_limit_is_cut_at_a_comma_when_one_is_near():
    text = "甲" * 30 + "，" + "乙" * 30 + "。"
    assert [text[s:e] for s, e, _ in chunk_spans(text, 40)] == ["甲" * 30 + "，", "乙" * 30 + "。"]


def test_passage_ids_are_stable_and_unique():
    document = Document(doc_id="news/a", title="t", text="一。\n\n二。\n\n三。")
    first, second = chunk_document(document, 100), chunk_document(document, 100)
    assert [p.passage_id for p in first] == [p.passage_id for p in second] == ["news/a#0", "news/a#1", "news/a#2"]
