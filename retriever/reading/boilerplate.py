"""Removal of web page furniture from article text, one whole line at a time.

Crawled Chinese news and government pages keep their navigation, share/print widgets, comment forms, footers and a
list of related articles around the body. Each line is judged on its own, except for the related-articles tail:
a section header such as 相关新闻 or 附件下载 that comes after most of the body cuts everything below it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["is_navigation", "is_prose", "remove_lines", "split_lines", "strip_boilerplate"]

# Brackets, bullets, separators and spaces that decorate widget labels and headers.
_DECOR = r"[\s\[\]【】()（）<>《》〔〕「」■□●◆◇▲△►▶▸·•*|｜丨:：>»›＞+\-—]*"

_LOCATION_LABEL = re.compile(rf"^{_DECOR}(?:您|你)?(?:现在|当前|目前)?(?:所在)?的?(?:当前)?位置\s*[:：>]")
_CRUMB_SEP = re.compile(r"\s*[>»›＞]\s*")
_HOME = re.compile(r"首页|主页|正文")
_MENU_SEP = re.compile(r"\s*[|｜丨]\s*")
_MENU_ITEM = re.compile(r"[\w\u3400-\u9fff]{1,10}")

# Words that make up share/print/font-size/comment-form/pager widgets. A short line made of nothing else
# (apart from brackets, punctuation and digits) is a widget.
_WIDGET_WORDS = (
    # print, close, bookmark, font size
    "打印本页", "打印此页", "打印文章", "打印本文", "打印页面", "打印", "关闭窗口", "关闭本页", "关闭", "收藏本页",
    "收藏本文", "加入收藏", "收藏", "设为首页", "字号大小", "字号", "字体", "默认", "放大", "缩小",
    # share, scan, counters
    "分享到", "分享至", "分享", "微信朋友圈", "朋友圈", "微信好友", "微信", "新浪微博", "腾讯微博", "微博", "QQ空间",
    "QQ好友", "QQ", "豆瓣", "人人网", "复制链接", "扫一扫", "在手机打开当前页", "手机扫码", "二维码", "手机版", "关注",
    "公众号", "浏览次数", "阅读次数", "点击次数", "点击数", "点击量", "浏览量", "阅读量", "访问量", "浏览", "阅读",
    "点击", "次",
    # comment forms
    "我来说两句", "发表评论", "我要评论", "查看所有评论", "查看评论", "评论", "登录", "注册", "提交", "重置", "用户名",
    "密码", "验证码", "匿名",
    # pagers, site tools
    "上一篇", "下一篇", "上一条", "下一条", "更多", "返回顶部", "回到顶部", "返回首页", "返回列表", "返回", "我要纠错",
    "纠错", "附件", "标签", "English", "繁體", "繁体", "简体", "无障碍", "长者模式", "关怀版", "站内搜索", "搜索",
    "百度一下", "首页",
)  # fmt: skip
_WIDGET = re.compile(
    r"大\s*中\s*小|" + "|".join(sorted(map(re.escape, _WIDGET_WORDS), key=len, reverse=True)), re.IGNORECASE
)
_NOT_A_WORD = re.compile(r"[\W\d_]+")
_WIDGET_MAX_CHARS = 60

# Phrases that only ever occur in widgets and comment forms, whatever else the line holds.
_WIDGET_PHRASE = re.compile(
    r"打印本页|打印此页|关闭窗口|【打印】|【关闭】|扫一扫在手机|网友评论仅供|本网同意其观点|不代表本[网站]观点|评论列表"
)
_PAGER = re.compile(rf"^{_DECOR}(?:上一篇|下一篇|上一条|下一条)")

_FOOTER = re.compile(
    r"copyright|©|all rights reserved|版权所有(?![者人权])|icp\s*[备证]|公网安备|备案号|备案序号|网站标识码|站长统计"
    r"|技术支持\s*[:：]|网站地图|联系QQ|建议使用.{0,30}浏览器|分辨率|不良信息举报",
    re.IGNORECASE,
)
# Contact details: a line with two different ones, next to a copyright or ICP line, is part of the footer.
_CONTACT = re.compile(
    r"主办单位|承办单位|主管单位|协办单位|联系电话|电话\s*[:：]|传真|e-?mail|电子邮[箱件]|邮箱|地址\s*[:：]|邮编"
    r"|邮政编码|联系我们|关于我们|联系方式",
    re.IGNORECASE,
)
_FOOTER_MAX_CHARS = 200

_EDITOR = re.compile(
    rf"^{_DECOR}(?:编辑|责编|美编|校对|审校|审核|初审|复审|终审|编审)\s*[:：/\s]|(?:责任|值班)编辑\s*[:：]"
)
# A date or a source label: such a line in the head is left for metadata extraction to read and remove.
_METADATA_HINT = re.compile(r"来源|稿源|\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4}")
# Source and author lines below the body; in the head they are left to metadata extraction.
_ATTRIBUTION = re.compile(rf"^{_DECOR}(?:信息来源|文章来源|稿件来源|来源|稿源|作者|供稿|撰稿|摄影|通讯员)\s*[:：/\s]")
_FIELD_MAX_CHARS = 60

_SECTION_HEADERS = (
    "相关新闻", "相关阅读", "相关文章", "相关链接", "相关报道", "相关稿件", "相关专题", "相关推荐", "延伸阅读",
    "推荐阅读", "热点推荐", "热门推荐", "热点新闻", "热门新闻", "热门文章", "热点文章", "精彩推荐", "猜你喜欢",
    "你可能感兴趣", "更多阅读", "往期回顾", "点击排行", "阅读排行", "新闻排行", "热门排行", "附件下载", "相关附件",
    "网友评论", "我来说两句", "发表评论", "评论列表", "最新评论", "意见选登",
)  # fmt: skip
_SECTION_HEADER = re.compile(
    rf"^{_DECOR}(?:{'|'.join(_SECTION_HEADERS)}){_DECOR}(?:更多|more)?{_DECOR}$", re.IGNORECASE
)

_SENTENCE_END = re.compile(r"[。！？!?]")
_CLAUSE = re.compile(r"[，,；;。]")
_PROSE_MIN_CHARS = 80


def split_lines(text: str) -> list[str]:
    """Lines of text at "\\n" only, each with its newline: "".join(split_lines(text)) == text."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def remove_lines(lines: list[str], remove: Collection[int]) -> str:
    """Join lines without the removed ones, and without the blank lines a removal would leave doubled.

    A blank line right after a removed line is dropped when the text kept so far is empty or already ends
    with a blank line, and blank lines left at the end by removing the last lines go too. With nothing to
    remove the lines are joined back unchanged.
    """
    kept: list[str] = []
    after_removal = False
    for i, line in enumerate(lines):
        if i in remove:
            after_removal = True
        elif after_removal and not line.strip() and (not kept or not kept[-1].strip()):
            continue
        else:
            after_removal = False
            kept.append(line)
    while after_removal and kept and not kept[-1].strip():
        kept.pop()
    return "".join(kept)


def is_prose(line: str) -> bool:
    """Whether a stripped line reads as a body paragraph rather than a heading, label or link."""
    return len(line) > _PROSE_MIN_CHARS or "。" in line


def is_navigation(line: str) -> bool:
    """Breadcrumbs (您现在的位置：首页 > …, 首页 > 新闻 > 正文) and menu bars (首页 | 概况 | 新闻 | …)."""
    if _SENTENCE_END.search(line) or len(line) > _FOOTER_MAX_CHARS:
        return False
    if _LOCATION_LABEL.match(line):
        return True
    crumbs = [part for part in _CRUMB_SEP.split(line) if part]
    if len(crumbs) >= 2 and (_HOME.search(line) or len(crumbs) >= 3) and all(len(c) <= 30 for c in crumbs):
        return "<" not in line
    items = [part for part in _MENU_SEP.split(line) if part]
    return len(items) >= 4 and all(_MENU_ITEM.fullmatch(item) for item in items)


def _is_widget(line: str) -> bool:
    if _WIDGET_PHRASE.search(line):
        return len(line) <= _FOOTER_MAX_CHARS
    if len(line) > _WIDGET_MAX_CHARS:
        return False
    if _PAGER.match(line) and not _CLAUSE.search(line):
        return True
    return bool(_WIDGET.search(line)) and not _NOT_A_WORD.sub("", _WIDGET.sub("", line))


def _is_footer(line: str) -> bool:
    return len(line) <= _FOOTER_MAX_CHARS and bool(_FOOTER.search(line))


def _is_contact(line: str) -> bool:
    """Two kinds of contact details (地址 and 电话, 主办单位 and 承办单位 …) in a line that is not a sentence."""
    if len(line) > _FOOTER_MAX_CHARS or _SENTENCE_END.search(line):
        return False
    return len({m.group().lower() for m in _CONTACT.finditer(line)}) >= 2


def _is_field(pattern: re.Pattern[str], line: str) -> bool:
    return len(line) <= _FIELD_MAX_CHARS and bool(pattern.search(line)) and not _SENTENCE_END.search(line)


def _is_furniture(line: str, in_head: bool, in_footer: bool) -> bool:
    """Whether a stripped line is page furniture, given where it stands relative to the body paragraphs.

    Contact details count only in the footer: below the last body paragraph, where a copyright or ICP line
    also stands (an article may end with an address and a telephone number of its own).
    Source and author lines count only below the first one: in the head they are left to metadata extraction,
    as are widget and editor lines that share a head line with a date or a source.
    """
    if is_navigation(line) or _is_footer(line) or _SECTION_HEADER.match(line):
        return True
    if in_footer and _is_contact(line):
        return True
    if in_head and _METADATA_HINT.search(line):
        return False
    if not in_head and _is_field(_ATTRIBUTION, line):
        return True
    return _is_widget(line) or _is_field(_EDITOR, line)


def _body_lines(stripped: list[str]) -> list[int]:
    """Indices of the lines that read as body paragraphs."""
    return [
        i
        for i, s in enumerate(stripped)
        if is_prose(s) and not _is_furniture(s, in_head=False, in_footer=False) and not _is_contact(s)
    ]


def _tail_start(stripped: list[str], furniture: list[bool]) -> int:
    """Index of the related-articles/attachments header that ends the article, or len(stripped) if none.

    A header counts only once prose precedes it and the prose before it outweighs the prose after it, so a
    sidebar list at the top of a page never takes the body with it.
    """
    prose = [len(s) if is_prose(s) and not f else 0 for s, f in zip(stripped, furniture)]
    before, after = 0, sum(prose)
    for i, line in enumerate(stripped):
        after -= prose[i]
        if before and before >= after and _SECTION_HEADER.match(line):
            return i
        before += prose[i]
    return len(stripped)


def strip_boilerplate(text: str) -> str:
    """Remove whole lines of page furniture: navigation, widgets, comment forms, footers, editor credits,
    source/author lines below the body start, and everything from a related-articles or attachments header on.

    Kept lines are byte-identical and in order; a text with nothing to remove comes back unchanged.
    """
    lines = split_lines(text)
    stripped = [line.strip() for line in lines]
    body = _body_lines(stripped)
    body_start, body_end = (body[0], body[-1]) if body else (len(lines), len(lines))
    footer = any(_is_footer(s) for s in stripped[body_end + 1 :])
    furniture = [
        bool(s) and _is_furniture(s, in_head=i < body_start, in_footer=footer and i > body_end)
        for i, s in enumerate(stripped)
    ]
    tail = _tail_start(stripped, furniture)
    return remove_lines(lines, {i for i in range(len(lines)) if i >= tail or furniture[i]})
