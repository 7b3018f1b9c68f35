"""Title, date and source from the head of an article, and removal of its metadata-only lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever.reading.boilerplate import split_lines, strip_boilerplate
from retriever.reading.metadata import Metadata, extract_metadata

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"
EXPECTED = {
    "001": Metadata("人大阿拉善盟工委:加大监督力度 提高脱贫质量", "2021-01-15T20:37", None),
    "002": Metadata("半年两赴扎旗扶贫点 陈一新:打赢脱贫攻坚战还", "2019-10-30T17:53", None),
    "003": Metadata("助力脱贫攻坚 彰显责任担当", "2016-09-09", "四川人大网"),
    "004": Metadata("", None, None),
}
METADATA_LINES = {
    "001": ("15.01.2021 \xa020:37",),
    "002": ("中国农村村民自治信息网,百度一下!", "精准扶贫 2019-10-30 17:53165未知村民自治信息网"),
    "003": ("时间 2016-09-09 来源 四川人大网",),
    "004": (),
}
BODY = "  会议强调，要坚决打赢脱贫攻坚战，确保如期实现全面小康。\n"


def read(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def non_blank(text: str) -> list[str]:
    return [line for line in split_lines(text) if line.strip()]


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def page(request: pytest.FixtureRequest) -> tuple[str, str, Metadata, str]:
    """(prefix, stripped text, metadata, returned text) for a sample article, after strip_boilerplate."""
    text = strip_boilerplate(read(request.param))
    metadata, rest = extract_metadata(text)
    return request.param, text, metadata, rest


def test_sample_metadata(page: tuple[str, str, Metadata, str]):
    prefix, _, metadata, _ = page
    assert metadata == EXPECTED[prefix]


def test_only_the_metadata_lines_are_removed(page: tuple[str, str, Metadata, str]):
    prefix, text, metadata, rest = page
    removed = [line.strip() for line in non_blank(text) if line not in non_blank(rest)]
    assert removed == list(METADATA_LINES[prefix])
    assert non_blank(rest) == [line for line in non_blank(text) if line.strip() not in METADATA_LINES[prefix]]
    if metadata.title:
        assert rest.lstrip().startswith(metadata.title)


def test_clean_text_without_a_headline_is_unchanged():
    text = read("004")
    assert extract_metadata(text) == (Metadata("", None, None), text)


def test_repaired_newspaper_page():
    mojibake = pytest.importorskip("retriever.reading.mojibake")
    text = mojibake.repair_mojibake(read("000"))
    metadata, rest = extract_metadata(strip_boilerplate(text))
    assert metadata == Metadata("答好决胜脱贫攻坚考卷", None, None)
    assert "本报记者" not in rest and "通讯员" not in rest
    assert "———包头市人大常委会助力脱贫攻坚工作综述" in rest
    assert [line for line in non_blank(text) if "本报记者" not in line] == non_blank(rest)


def test_government_page_header():
    text = (
        "我市召开乡村振兴工作推进会\n"
        "发布时间：2021年03月15日 09:30  来源：市农业农村局  浏览次数：1024\n"
        "■本报记者 张三 通讯员 李四\n" + BODY
    )
    assert extract_metadata(text) == (
        Metadata("我市召开乡村振兴工作推进会", "2021-03-15T09:30", "市农业农村局"),
        "我市召开乡村振兴工作推进会\n" + BODY,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2021-01-15", "2021-01-15"),
        ("2021/1/5 08:05", "2021-01-05T08:05"),
        ("2021.01.15 20:37:05", "2021-01-15T20:37"),
        ("15.01.2021 \xa020:37", "2021-01-15T20:37"),
        ("2021年1月15日 星期五", "2021-01-15"),
        ("2021年01月15日10:20 来源：人民网", "2021-01-15T10:20"),
        ("发布日期：2021年1月5日 10时20分", "2021-01-05T10:20"),
        ("【2021-01-15 25:70】", "2021-01-15"),
    ],
)
def test_date_formats(line: str, expected: str):
    metadata, rest = extract_metadata(f"标题\n{line}\n{BODY}")
    assert metadata.date == expected
    assert rest == f"标题\n{BODY}"


@pytest.mark.parametrize("line", ["2021-13-01", "2021-02-30", "31.02.2021", "1850-01-01"])
def test_impossible_dates_are_not_read(line: str):
    assert extract_metadata(f"标题\n{line}\n{BODY}")[0].date is None


@pytest.mark.parametrize(
    "line",
    [
        "2018年9月20日,在内蒙古自治区人大常委会阿拉善盟工作委员会第二次会议上,工委首次开展专题询问。",
        "2020年11月20日上午召开全市脱贫攻坚推进会",
        "2019年3月13日，陈一新到扎旗调研",
    ],
)
def test_a_line_that_starts_with_an_event_date_is_kept_and_not_read(line: str):
    text = f"标题\n{line}\n{BODY}"
    assert extract_metadata(text) == (Metadata("标题", None, None), text)


def test_date_below_the_body_start_is_not_read():
    text = f"标题\n{BODY}2021年3月1日\n"
    assert extract_metadata(text) == (Metadata("标题", None, None), text)


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("来源：新华网", "新华网"),
        ("来源 四川人大网", "四川人大网"),
        ("信息来源：市农业农村局 作者：张三", "市农业农村局"),
        ("来源：人民日报【字体：大 中 小】", "人民日报"),
        ("作者：张三  责任编辑：李四", None),
    ],
)
def test_source_lines(line: str, source: str | None):
    metadata, rest = extract_metadata(f"标题\n{line}\n{BODY}")
    assert metadata.source == source
    assert rest == f"标题\n{BODY}"


@pytest.mark.parametrize("line", ["本报记者 王祯 通讯员 武建飞", "（记者 张三 李四）", "文/图 王五", "记者张三"])
def test_bylines_are_removed(line: str):
    assert extract_metadata(f"标题\n{line}\n{BODY}")[1] == f"标题\n{BODY}"


@pytest.mark.parametrize("line", ["记者调查发现", "编辑部召开专题会议", "文化振兴看今朝", "资金来源多元化"])
def test_headline_like_lines_are_not_taken_for_bylines_or_sources(line: str):
    text = f"{line}\n{BODY}"
    assert extract_metadata(text) == (Metadata(line, None, None), text)


def test_title_skips_site_name_navigation_and_subtitle():
    text = (
        "XX市人民政府门户网站\n"
        "首页 > 新闻中心 > 工作动态\n"
        "答好决胜脱贫攻坚考卷\n"
        "——包头市人大常委会助力脱贫攻坚工作综述\n"
        "2021-01-15 来源：包头日报\n" + BODY
    )
    metadata, rest = extract_metadata(text)
    assert metadata == Metadata("答好决胜脱贫攻坚考卷", "2021-01-15", "包头日报")
    assert rest == text.replace("XX市人民政府门户网站\n", "").replace("2021-01-15 来源：包头日报\n", "")


def test_site_header_date_gives_way_to_the_article_date():
    text = "今天是2021年1月15日 星期五\n工作动态\n我市召开乡村振兴工作推进会\n2021-01-10 来源：市政府\n" + BODY
    metadata, rest = extract_metadata(text)
    assert metadata == Metadata("我市召开乡村振兴工作推进会", "2021-01-10", "市政府")
    assert rest == "工作动态\n我市召开乡村振兴工作推进会\n" + BODY


def test_notice_salutation_ends_the_head():
    text = "关于开展安全生产检查的通知\n各有关单位：\n时间：2021年3月15日\n" + BODY
    assert extract_metadata(text) == (Metadata("关于开展安全生产检查的通知", None, None), text)
