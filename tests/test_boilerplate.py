"""Removal of page furniture from crawled article text: the sample web pages, clean text and synthetic pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever.reading.boilerplate import split_lines, strip_boilerplate

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"
WEB_PAGES = {
    "001": ("附件下载", "鄂尔多斯市人大", "锡林郭勒盟苏尼特左旗", "党的十九大提出"),
    "002": ("Copyright", "版权所有", "备案号", "站长统计", "联系QQ", "邮箱地址"),
    "003": (
        "您现在的位置", "首页", "字号大小", "附件", "分享到", "打印", "相关新闻", "意见选登", "我来说两句",
        "查看所有评论", "用户名", "验证码", "匿名", "网友评论",
    ),
}  # fmt: skip
BODY_FACTS = {"001": ("3906户", "32户"), "002": ("1.16%",), "003": ("7.7公里", "36户"), "004": ("272平方米",)}
# The first and last line of each page's article; every non-blank line between them is body.
ARTICLE_SPAN = {
    "001": ("人大阿拉善盟工委:加大监督力度", "(人大阿拉善盟工委)"),
    "002": ("中国农村村民自治信息网", "整体上达到贫困发生率1.5%以内的国家脱贫标准。"),
    "003": ("助力脱贫攻坚 彰显责任担当", "确保实现全市整体连片贫困到同步全面小康跨越。"),
}
# Inside that span, the only furniture.
FURNITURE_IN_ARTICLE = {"003": ("[\xa0字号大小:]",)}

GOVERNMENT_PAGE = """\
首页 | 机构概况 | 政务公开 | 办事服务 | 互动交流
您的位置：首页 > 新闻中心 > 工作动态
【字体：大 中 小】【打印本页】【关闭窗口】
我市召开2021年乡村振兴工作推进会
发布时间：2021年03月15日 09:30  来源：市农业农村局  浏览次数：1024
  3月12日，市委副书记张三主持召开全市乡村振兴工作推进会，总结2020年工作，部署2021年重点任务。
  会议指出，今年是“十四五”开局之年，要巩固拓展脱贫攻坚成果，全面推进乡村振兴。
（责任编辑：李四）
扫一扫在手机打开当前页
分享到：微信 微博 QQ空间
上一篇：市政府召开常务会议
下一篇：没有了
相关链接
国务院部署春耕生产工作
自治区召开农牧业工作会议
主办单位：XX市人民政府办公室  承办单位：XX市大数据中心
地址：XX市新华大街1号  邮编：010000  联系电话：0471-1234567
网站标识码：1501000001  蒙ICP备12345678号  蒙公网安备 15010202000001号
技术支持：XX网络科技有限公司
建议使用1024×768分辨率，IE8以上浏览器
"""
GOVERNMENT_PAGE_STRIPPED = """\
我市召开2021年乡村振兴工作推进会
发布时间：2021年03月15日 09:30  来源：市农业农村局  浏览次数：1024
  3月12日，市委副书记张三主持召开全市乡村振兴工作推进会，总结2020年工作，部署2021年重点任务。
  会议指出，今年是“十四五”开局之年，要巩固拓展脱贫攻坚成果，全面推进乡村振兴。
"""

CLEAN_ARTICLE = """\
全市脱贫攻坚工作综述

  近年来，全市上下把脱贫攻坚作为头等大事，累计投入帮扶资金1.2亿元。
  他把种植经验分享到周边各村，带动32户贫困户增收。
  活动由市扶贫办主办，市农牧局承办，地址设在市民广场。
  联系人：王五，联系电话：0471-7654321
  2021年3月1日，全市召开总结大会。
  地址：市民广场1号 电话：0471-1234567
"""


def read(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def assert_lines_kept_in_order(output: str, text: str) -> None:
    """Every output line is a whole, byte-identical input line, and they come in input order."""
    remaining = iter(split_lines(text))
    for line in split_lines(output):
        assert any(line == candidate for candidate in remaining), line


@pytest.mark.parametrize("prefix", sorted(WEB_PAGES))
def test_page_furniture_is_removed(prefix: str):
    output = strip_boilerplate(read(prefix))
    for furniture in WEB_PAGES[prefix]:
        assert furniture not in output, furniture


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_kept_lines_are_byte_identical_and_in_order(prefix: str):
    text = read(prefix)
    assert_lines_kept_in_order(strip_boilerplate(text), text)


@pytest.mark.parametrize("prefix", sorted(BODY_FACTS))
def test_body_facts_remain(prefix: str):
    output = strip_boilerplate(read(prefix))
    for fact in BODY_FACTS[prefix]:
        assert fact in output, fact


@pytest.mark.parametrize("prefix", sorted(ARTICLE_SPAN))
def test_every_article_line_is_kept(prefix: str):
    lines = [line.strip() for line in split_lines(read(prefix))]
    first, last = ARTICLE_SPAN[prefix]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.endswith(last))
    kept = {line.strip() for line in split_lines(strip_boilerplate(read(prefix)))}
    article = [line for line in lines[start : end + 1] if line and line not in FURNITURE_IN_ARTICLE.get(prefix, ())]
    assert [line for line in article if line not in kept] == []


def test_clean_text_comes_back_unchanged():
    text = read("004")
    assert strip_boilerplate(text) == text
    assert strip_boilerplate(CLEAN_ARTICLE) == CLEAN_ARTICLE


def test_repaired_newspaper_text_comes_back_unchanged():
    mojibake = pytest.importorskip("retriever.reading.mojibake")
    text = mojibake.repair_mojibake(read("000"))
    assert strip_boilerplate(text) == text


def test_government_page_header_and_footer_are_removed():
    assert strip_boilerplate(GOVERNMENT_PAGE) == GOVERNMENT_PAGE_STRIPPED


def test_stripping_is_idempotent():
    for prefix in ("001", "002", "003"):
        once = strip_boilerplate(read(prefix))
        assert strip_boilerplate(once) == once


def test_removal_leaves_no_doubled_blank_lines():
    text = "标题\n\n分享到\n\n第一段。\n\n【打印本页】\n\n第二段。\n\n版权所有 © 2021\n"
    assert strip_boilerplate(text) == "标题\n\n第一段。\n\n第二段。\n"


def test_a_related_list_above_the_body_does_not_cut_the_body():
    body = "  " + "全市脱贫攻坚工作取得决定性进展，贫困发生率降至零。" * 4 + "\n"
    text = "热点推荐\n市长会见客商代表团\n全市春季植树活动启动\n标题\n" + body * 3
    output = strip_boilerplate(text)
    assert output.count(body) == 3
    assert "市长会见客商代表团" in output


def test_a_related_header_after_the_body_cuts_the_rest():
    body = "  " + "全市脱贫攻坚工作取得决定性进展，贫困发生率降至零。" * 4 + "\n"
    text = "标题\n" + body * 2 + "【相关阅读】\n另一篇文章的标题\n  另一篇文章的摘要，内容较长。\n"
    assert strip_boilerplate(text) == "标题\n" + body * 2


def test_head_line_with_a_date_or_source_is_left_for_metadata():
    text = "标题\n来源：新华网 【字体：大 中 小】【打印本页】\n  正文第一段。\n（责任编辑：张三）\n来源：新华网\n"
    assert strip_boilerplate(text) == "标题\n来源：新华网 【字体：大 中 小】【打印本页】\n  正文第一段。\n"


@pytest.mark.parametrize(
    "line",
    [
        "当前位置：首页 > 新闻中心 > 正文",
        "首页 > 工作动态 > 基层风采",
        "【字体：大 中 小】【打印】【关闭】",
        "[ 字号大小:]",
        "分享到：微信 朋友圈 微博",
        "扫一扫在手机打开当前页",
        "浏览次数：1024次",
        "上一篇：市政府召开常务会议",
        "返回顶部",
        "Copyright © 2021 XX市人民政府 版权所有",
        "京ICP备05070218号",
        "技术支持：XX网络科技有限公司",
        "【责任编辑：张三】",
    ],
)
def test_single_furniture_lines_are_removed(line: str):
    text = "标题\n  正文第一段，内容详实。\n" + line + "\n  正文第二段，内容详实。\n"
    assert strip_boilerplate(text) == "标题\n  正文第一段，内容详实。\n  正文第二段，内容详实。\n"
