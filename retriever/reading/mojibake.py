"""Repair punctuation garbled by a GB2312 lead-byte shift (row A1 -> D2, row A3 -> D4).

Some PDF text extractors shift the lead byte of GB2312 punctuation, so 、。“”《》……—— come out as the hanzi
尧遥野冶叶曳噎噎要要 and ，：；？！（） as 袁院曰钥浴渊冤. Those hanzi also occur genuinely (法院, 要求, 将军尧镇),
so repair is decided in two steps:

* per document: the shifted forms of ，。、 (袁遥尧) that read as punctuation in context must be numerous,
  outnumber the real marks and be dense; otherwise the text is returned untouched;
* per occurrence: a noisy-channel choice under jieba's unigram word model. Keeping the hanzi scores the best
  segmentation of its context with the hanzi in place; restoring the mark scores the context split at the mark
  plus the mark's own token probability. A hanzi that forms a dictionary word with its neighbours is kept; one
  that stands alone is kept only if it is, on its own, more probable than the mark it may hide.
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from typing import NamedTuple

import jieba

__all__ = ["mojibake_score", "repair_mojibake"]

logger = logging.getLogger(__name__)

_SHIFTED_LEAD = {0xA1: 0xD2, 0xA3: 0xD4}

# Approximate probability per word token of each mark in modern Chinese news prose (orders of magnitude;
# the common marks agree with counts on the bundled clean corpus). Letters and digits of row A3 are left out:
# extracted Chinese text carries them as ASCII, and their shifted forms (员, 月, 在, 造...) are common hanzi.
_MARK_RATE: dict[str, float] = {
    "，": 6e-2, "、": 3e-2, "。": 3e-2, "“": 1e-2, "”": 1e-2,
    "：": 2e-3, "；": 1e-3, "《": 1e-3, "》": 1e-3, "（": 1e-3, "）": 1e-3,
    "？": 5e-4, "！": 5e-4, "·": 3e-4, "‘": 1e-4, "’": 1e-4, "【": 1e-4, "】": 1e-4, "●": 1e-4,
    "—": 1e-4, "…": 2e-5, "〈": 1e-5, "〉": 1e-5, "〔": 1e-5, "〕": 1e-5, "「": 1e-5, "」": 1e-5, "～": 1e-5,
    "『": 1e-6, "』": 1e-6, "○": 3e-5, "★": 3e-5, "☆": 3e-5, "■": 3e-5, "□": 3e-5, "◆": 3e-5, "◇": 3e-5,
    "▲": 3e-5, "△": 3e-5, "※": 1e-5, "→": 1e-5, "\u3000": 1e-4,
}  # fmt: skip
# The dash and the ellipsis are written doubled (——, ……); a run of them is one token.
_RUN_RATE: dict[str, float] = {"—": 3e-3, "…": 5e-4}

# Shifted forms of ，。、, the commonest marks in Chinese text (5-8% of its characters), while the hanzi 袁遥尧
# together make up well under 0.01%: a shifted text has them by the hundred and few real marks, a clean text
# the reverse.
_INDICATORS = {"，": "袁", "。": "遥", "、": "尧"}
_MIN_INDICATORS = 5
_MIN_INDICATOR_DENSITY = 0.01

_CONTEXT = 6  # characters of context on each side: longer than nearly all dictionary words.

# Level of each administrative unit suffix, 1 being the largest.
_ADMIN_LEVEL = {"省": 1, "市": 2, "州": 2, "盟": 2, "县": 3, "区": 3, "旗": 3, "镇": 4, "乡": 4, "村": 5, "屯": 5}


def _shift(mark: str) -> str:
    lead, trail = mark.encode("gbk")
    return bytes([_SHIFTED_LEAD[lead], trail]).decode("gbk")


_ORIGINAL: dict[str, str] = {_shift(mark): mark for mark in _MARK_RATE}


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class _Lexicon(NamedTuple):
    """jieba's unigram model plus what follows from it for the suspects.

    breaks: suspects less probable as a lone hanzi than as their mark; they also end context windows.
    candidates: the runs worth deciding, i.e. any run of a break and runs of two or more of any other suspect.
    A single non-break is never restored: context can only raise the probability of reading a hanzi.
    """

    freq: dict[str, int]
    log_total: float
    breaks: frozenset[str]
    candidates: re.Pattern[str]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    freq, total = jieba.dt.FREQ, jieba.dt.total
    breaks = frozenset(c for c, mark in _ORIGINAL.items() if (freq.get(c) or 1) / total < _MARK_RATE[mark])
    runs = [f"{c}+" if c in breaks else f"{c}{{2,}}" for c in _ORIGINAL]
    return _Lexicon(freq, math.log(total), breaks, re.compile("|".join(runs)))


def _route(s: str) -> float:
    """Log-probability of the best segmentation of s under jieba's unigram model (unknown characters count 1)."""
    lexicon = _lexicon()
    freq, log_total = lexicon.freq, lexicon.log_total
    best = [0.0] * (len(s) + 1)
    for i in range(len(s) - 1, -1, -1):
        score = math.log(freq.get(s[i]) or 1) + best[i + 1]
        for j in range(i + 2, len(s) + 1):
            count = freq.get(s[i:j])
            if count is None:
                break
            if count:
                score = max(score, math.log(count) + best[j])
        best[i] = score - log_total
    return best[0]


def _word_crosses(s: str, start: int, end: int) -> bool:
    """Whether a dictionary word in s overlaps s[start:end] and reaches outside it."""
    freq = _lexicon().freq
    for i in range(end):
        reach = start + 1 if i < start else end + 1
        for j in range(i + 2, len(s) + 1):
            count = freq.get(s[i:j])
            if count is None:
                break
            if count and j >= reach:
                return True
    return False


@lru_cache(maxsize=1 << 16)
def _keep_gain(left: str, run: str, right: str) -> float:
    """Log-probability of reading run as hanzi in its context, relative to a token boundary in its place."""
    window = left + run + right
    if not _word_crosses(window, len(left), len(left) + len(run)):
        return _route(run)
    return _route(window) - _route(left) - _route(right)


def _starts_word(s: str) -> bool:
    freq = _lexicon().freq
    for end in range(2, len(s) + 1):
        count = freq.get(s[:end])
        if count is None:
            return False
        if count:
            return True
    return False


def _inside_toponym(left: str, right: str) -> bool:
    """A suspect followed by a unit suffix that starts no word and heads a smaller named unit (某某镇某某村).

    A mark there would leave the bare suffix at the start of a clause, in front of a place name: in Chinese the
    suffix closes a name, so the suspect is the last character of that name (将军尧镇仁义昌村).
    """
    if not left or not right:
        return False
    level = _ADMIN_LEVEL.get(right[0])
    if level is None or _starts_word(right):
        return False
    return any(_ADMIN_LEVEL.get(ch, 0) > level for ch in right[2:])


def _context(text: str, start: int, step: int, breaks: frozenset[str]) -> str:
    """Up to _CONTEXT CJK characters from start in direction step, across line wraps, up to the next mark."""
    chars: list[str] = []
    i = start
    while 0 <= i < len(text) and len(chars) < _CONTEXT:
        ch = text[i]
        if not ch.isspace():
            if not _is_cjk(ch) or ch in breaks:
                break
            chars.append(ch)
        i += step
    return "".join(reversed(chars)) if step < 0 else "".join(chars)


def _restore(text: str, start: int, end: int, breaks: frozenset[str]) -> bool:
    """Whether the run of one suspect character at text[start:end] is shifted punctuation."""
    run = text[start:end]
    mark = _ORIGINAL[run[0]]
    left = _context(text, start - 1, -1, breaks)
    right = _context(text, end, 1, breaks)
    if len(run) == 1 and _inside_toponym(left, right):
        return False
    if len(run) > 1 and mark in _RUN_RATE:
        mark_score = math.log(_RUN_RATE[mark])
    else:
        mark_score = len(run) * math.log(_MARK_RATE[mark])
    return mark_score > _keep_gain(left, run, right)


def _indicator_counts(text: str) -> tuple[int, int]:
    shifted = sum(text.count(c) for c in _INDICATORS.values())
    real = sum(text.count(mark) for mark in _INDICATORS)
    return shifted, real


def mojibake_score(text: str) -> float:
    """Share of 袁遥尧 among 袁遥尧 and ，。、: near 0 for clean Chinese text, near 1 for lead-byte-shifted text."""
    shifted, real = _indicator_counts(text)
    return shifted / (shifted + real) if shifted + real else 0.0


def _enough_evidence(shifted: int, real: int, length: int) -> bool:
    return shifted >= _MIN_INDICATORS and shifted > real and shifted >= _MIN_INDICATOR_DENSITY * length


def repair_mojibake(text: str) -> str:
    """Return text with lead-byte-shift mojibake punctuation restored; a clean text comes back unchanged (same object).

    The document counts as shifted when its 袁遥尧 pass the evidence test twice: all of them (a cheap filter that
    clean text fails at once), then only those that read as punctuation in context, so that a punctuation-free
    text naming 袁隆平 and 袁世凯 is not repaired.
    """
    shifted, real = _indicator_counts(text)
    if not _enough_evidence(shifted, real, len(text)):
        return text
    lexicon = _lexicon()
    runs = [m.span() for m in lexicon.candidates.finditer(text) if _restore(text, *m.span(), lexicon.breaks)]
    indicators = frozenset(_INDICATORS.values())
    restored = sum(end - start for start, end in runs if text[start] in indicators)
    if not _enough_evidence(restored, real, len(text)):
        return text
    pieces: list[str] = []
    done = 0
    for start, end in runs:
        pieces.append(text[done:start])
        pieces.append(_ORIGINAL[text[start]] * (end - start))
        done = end
    pieces.append(text[done:])
    logger.debug("restored %d runs of shifted punctuation", len(runs))
    return "".join(pieces)
