"""Headline, publication date and source from the head of an article, and removal of the lines that carry them.

The head is the first non-empty lines, up to the first body paragraph. Only lines made of metadata are read
and removed: date lines (15.01.2021 20:37; 精准扶贫 2019-10-30 17:53 …; 时间 2016-09-09 来源 四川人大网),
labelled fields (来源：…, 作者：…), bylines (本报记者 X 通讯员 Y) and site-name lines (…信息网,百度一下!).
A date inside a sentence (2018年9月20日,在…会议上) is an event date and is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from typing import NamedTuple

from retriever.reading.boilerplate import is_navigation, is_prose, remove_lines, split_lines

__all__ = ["Metadata", "extract_metadata"]

_HEAD_LINES = 15
_DASHES = ("—", "―", "－", "--")
_METADATA_MAX_CHARS = 100
_BYLINE_MAX_CHARS = 40
_SITE_NAME_MAX_CHARS = 40
_YEARS = range(1900, 2101)

_DATE = re.compile(
    r"""
    (?<!\d)(?:
        (?P<y1>\d{4})(?P<sep>[-/.])(?P<m1>\d{1,2})(?P=sep)(?P<d1>\d{1,2})(?!\d)
      | (?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4})(?!\d)
      | (?P<y3>\d{4})\s*年\s*(?P<m3>\d{1,2})\s*月\s*(?P<d3>\d{1,2})\s*[日号]
    )
    (?:[\sT]*(?P<hour>\d{1,2})[:：](?P<minute>\d{2})
      | \s*(?P<hour_cn>\d{1,2})\s*[时点]\s*(?P<minute_cn>\d{1,2})\s*分)?
    """,
    re.VERBOSE,
)
# What may follow a date in a metadata line: the end, a space or a mark, or the next field's label.
_AFTER_DATE = re.compile(
    r"$|[^\w]|来源|稿源|信息来源|文章来源|作者|责任编辑|编辑|发布|浏览|点击|阅读|星期|周[一二三四五六日天]|字号|字体"
)
# Clause and sentence marks: a line with any of them is prose, not a metadata line.
_PUNCTUATION = re.compile(r"[，,。；;！!？?]")

_SOURCE = re.compile(
    r"(?:(?<![\u4e00-\u9fff])|(?<=日))(?:信息|文章|新闻|稿件|消息)?(?:来源|稿源|出处)(?:\s*[:：]\s*|\s+)"
    r"(?P<value>[^\s|｜丨【\[（(]*)"
)
_NEXT_LABEL = re.compile(r"(?:作者|责任编辑|编辑|发布|时间|日期|浏览|点击|阅读|字号|字体)\s*[:：]")
# A labelled field without a date needs its colon: 时间 or 作者 followed by a space may start a headline.
_FIELD_LABEL = re.compile(
    r"^[\s\[【(（]*(?:信息来源|文章来源|新闻来源|稿件来源|来源|稿源|出处|作者|发布者|发布人|发布机构|发布单位|责任编辑|编辑"
    r"|发布时间|发布日期|更新时间|时间|日期|浏览次数|点击数|阅读次数|字号)\s*[:：]"
)

_ROLE = (
    r"(?:本报|本刊|本台|本网|本站)?(?:特约|首席|见习|实习)?"
    r"(?:记者|通讯员|撰稿人|撰稿|摄影|摄像|作者|责任编辑|编辑|责编|校对|审核|供稿|整理|文字|实习生)"
)
# 记者 and 通讯员 may be glued to a name of two or three hanzi (记者张三); other roles are set apart from names.
_ROLE_TOKEN = re.compile(
    rf"{_ROLE}|(?:本报|本刊|本台|本网)?(?:特约|首席|见习|实习)?(?:记者|通讯员)[\u4e00-\u9fff]{{2,3}}|文|图|摄|文图|图文"
)
_WORD = re.compile(r"[^\W_]")
_NAME_TOKEN = re.compile(r"[\u4e00-\u9fff·]{1,4}|[A-Za-z][A-Za-z.\-]*")
_BYLINE_SEP = re.compile(r"[\s/／:：·•●◎|｜、()（）\[\]【】■◆▲]+")

_SITE_NAME = re.compile(
    r"^(?:欢迎(?:访问|光临|来到).+"
    r"|.+?网站?[\s,，|｜:：]*(?:百度一下|站内搜索|全站搜索|搜索)[!！]?"
    r"|[\u4e00-\u9fffA-Za-z]{2,20}(?:信息网|新闻网|政府网|人大网|政协网|门户网|门户网站|官方网站|网站))$"
)


@dataclass(frozen=True)
class Metadata:
    """What an article's head says about it; date is ISO 8601 ("2021-01-15" or "2021-01-15T20:37")."""

    title: str
    date: str | None
    source: str | None


class _Fields(NamedTuple):
    date: str | None
    source: str | None


def _iso(match: re.Match[str]) -> str | None:
    """The match as an ISO date (with hours and minutes when valid), or None if it is no calendar date."""
    year, month, day = next(
        (int(match[f"y{k}"]), int(match[f"m{k}"]), int(match[f"d{k}"])) for k in "123" if match[f"y{k}"]
    )
    if year not in _YEARS:
        return None
    try:
        iso = Date(year, month, day).isoformat()
    except ValueError:
        return None
    hour, minute = match["hour"] or match["hour_cn"], match["minute"] or match["minute_cn"]
    if hour is not None and int(hour) < 24 and int(minute) < 60:
        iso += f"T{int(hour):02d}:{int(minute):02d}"
    return iso


def _find_date(line: str) -> str | None:
    """The first valid date in a line that stands apart from the words after it (a time may run into a counter)."""
    for match in _DATE.finditer(line):
        glued_counter = match["hour"] is not None and line[match.end() : match.end() + 1].isdigit()
        if glued_counter or _AFTER_DATE.match(line, match.end()):
            iso = _iso(match)
            if iso:
                return iso
    return None


def _find_source(line: str) -> str | None:
    match = _SOURCE.search(line)
    if not match:
        return None
    value = _NEXT_LABEL.split(match["value"])[0].strip(":：,，.。;；]】)）")
    return value or None


def _is_byline(line: str) -> bool:
    """本报记者●王祯 通讯员●武建飞, (记者 张三), 文/图 李四: roles and short names only."""
    if len(line) > _BYLINE_MAX_CHARS or _PUNCTUATION.search(line):
        return False
    tokens = [token for token in _BYLINE_SEP.split(line) if token]
    if not tokens or not _ROLE_TOKEN.fullmatch(tokens[0]):
        return False
    return all(_ROLE_TOKEN.fullmatch(token) or _NAME_TOKEN.fullmatch(token) for token in tokens)


def _is_site_name(line: str) -> bool:
    return len(line) <= _SITE_NAME_MAX_CHARS and bool(_SITE_NAME.match(line))


def _metadata_fields(line: str) -> _Fields | None:
    """The date and source a line carries if it holds nothing but metadata, else None."""
    if _is_site_name(line) or _is_byline(line):
        return _Fields(None, None)
    if len(line) > _METADATA_MAX_CHARS or _PUNCTUATION.search(line):
        return None
    found = _find_date(line)
    if found is None and not _FIELD_LABEL.match(line) and not _SOURCE.search(line):
        return None
    return _Fields(found, _find_source(line))


def _opens_body(line: str) -> bool:
    """A body paragraph, or the salutation of a notice (各有关单位：), which ends the head."""
    return is_prose(line) or line.endswith(("：", ":"))


class _Head(NamedTuple):
    """The head of an article: its headline-like lines and its metadata lines, each with its line index."""

    candidates: list[tuple[int, str]]
    metadata: list[tuple[int, _Fields]]


def _read_head(lines: list[str]) -> _Head:
    head = _Head([], [])
    for i in [i for i, line in enumerate(lines) if line.strip()][:_HEAD_LINES]:
        line = lines[i].strip()
        fields = _metadata_fields(line)
        if fields is not None:
            head.metadata.append((i, fields))
        elif _opens_body(line):
            break
        elif _WORD.search(line) and not is_navigation(line):
            head.candidates.append((i, " ".join(line.split())))
    return head


def _anchor(head: _Head) -> int | None:
    """Index of the first date or source line below a headline candidate: the article's own metadata line.

    A date above every candidate is more likely the site header's today's date than the article's.
    """
    if not head.candidates:
        return None
    first = head.candidates[0][0]
    return next((i for i, fields in head.metadata if i > first and (fields.date or fields.source)), None)


def _title(head: _Head, anchor: int | None) -> str:
    """The candidate right above the anchor (skipping ——subtitles), else the first candidate, else ""."""
    if anchor is None:
        return head.candidates[0][1] if head.candidates else ""
    above = [text for i, text in head.candidates if i < anchor]
    main = [text for text in above if not text.startswith(_DASHES)]
    return (main or above)[-1]


def extract_metadata(text: str) -> tuple[Metadata, str]:
    """Title, date and source from the head of an article, and the text without its metadata-only lines.

    The head is the first non-empty lines up to the first body paragraph; nothing below it is read or removed.
    The title is the headline-like line right above the article's date/source line, or without one the first
    headline-like line; an article that opens with a body paragraph has title "". The date and source come
    from that date/source line first, then from the other metadata lines. The headline line stays in the
    text; removed lines go whole and kept lines are byte-identical.
    """
    lines = split_lines(text)
    head = _read_head(lines)
    anchor = _anchor(head)
    fields = [f for i, f in head.metadata if i == anchor] + [f for i, f in head.metadata if i != anchor]
    metadata = Metadata(
        title=_title(head, anchor),
        date=next((f.date for f in fields if f.date), None),
        source=next((f.source for f in fields if f.source), None),
    )
    return metadata, remove_lines(lines, {i for i, _ in head.metadata})
