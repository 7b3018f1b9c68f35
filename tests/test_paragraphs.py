from pathlib import Path

from retriever.reading.mojibake import repair_mojibake
from retriever.reading.paragraphs import column_width, ends_sentence, reconstruct_paragraphs

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"


def test_sentence_ends_allow_closing_quotes():
    assert ends_sentence("他说：“好。”")
    assert ends_sentence("完了！")
    assert not ends_sentence("紧扣重点工作、关键环节，采取“五抓")


def test_hard_wrapped_column_is_joined_across_lines_and_column_breaks():
    column = (
        "标题在这里\n\n"
        "2020年，自政法队伍素质提升专项行动\n\n"  # a column break in mid-sentence
        "工作启动以来，包头市固阳县坚持把政法队\n"
        "伍素质提升工作作为当前的一项重大政治任\n"
        "务来抓，紧扣重点工作、关键环节，采取五抓\n"
        "五提升模式，确保政法队伍素质提升专项行\n"
        "动深入推进，取得实效。\n\n"
        "抓好专题培训活动，提升政治引领力。全\n"
        "县政法各单位牢固树立政治学习是政法队伍\n"
        "素质提升专项行动首要任务的思想，通过各种\n"
        "方式扎实推进政治理论学习。\n"
    )
    paragraphs = reconstruct_paragraphs(column).split("\n\n")
    assert paragraphs == [
        "标题在这里",
        "2020年，自政法队伍素质提升专项行动工作启动以来，包头市固阳县坚持把政法队伍素质提升工作作为当前的"
        "一项重大政治任务来抓，紧扣重点工作、关键环节，采取五抓五提升模式，确保政法队伍素质提升专项行动深入推进，取得实效。",
        "抓好专题培训活动，提升政治引领力。全县政法各单位牢固树立政治学习是政法队伍素质提升专项行动首要任务的思想，"
        "通过各种方式扎实推进政治理论学习。",
    ]


def test_web_text_keeps_one_paragraph_per_line():
    text = (CORPUS / "004_64cb860ea6044d58.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert column_width([line.strip() for line in text.splitlines()]) is None
    assert len(reconstruct_paragraphs(text).split("\n\n")) == len(lines)


def test_pdf_article_rejoins_words_split_by_wraps():
    text = reconstruct_paragraphs(repair_mojibake((CORPUS / "000_e549fdcf45b4778b.txt").read_text(encoding="utf-8")))
    assert "土右旗268户590人未脱贫人口已全部脱贫退出" in text
    assert "共计120余人参加了培训。" in text
    assert "传统工艺食品加工项目、综合养殖项目、民俗旅游项目" in text
    assert all("\n" not in paragraph for paragraph in text.split("\n\n"))
