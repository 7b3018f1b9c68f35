"""Whitespace tidying for display and the normalisation applied identically to passages and queries."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import opencc

NORMALIZER_VERSION = "2"

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"，。、；：？！“”‘’《》（）【】「」『』…—·●"
_WIDE = _CJK + _CJK_PUNCT
_SPACE_AFTER_WIDE = re.compile(rf"(?<=[{_WIDE}])\s+(?=[{_WIDE}0-9])")
_SPACE_BEFORE_WIDE = re.compile(rf"(?<=[{_WIDE}0-9])\s+(?=[{_WIDE}])")
_SPACES = re.compile(r"\s+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_LOWER_CASE_WORD = re.compile(r"(?<![A-Za-z])[a-z]+(?![A-Za-z])")

Language = Literal["zh", "en"]


def join_lines(text: str) -> str:
    """Undo hard line wraps and layout spaces: drop whitespace next to CJK text, collapse the rest.

    Spaces between Chinese and digits (``2020年 8月``, ``共计 120余人``) come from PDF layout, not
    from the writer, so they go too; spaces between Latin words stay.
    """
    text = _SPACE_AFTER_WIDE.sub("", text)
    text = _SPACE_BEFORE_WIDE.sub("", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters and phrases in their Simplified form (OpenCC t2s)."""
    return _to_simplified().convert(text)


def normalize_for_matching(text: str) -> str:
    """The matching form: NFKC (full-width → half-width), traditional → simplified, lower case, joined lines."""
    return join_lines(to_simplified(unicodedata.normalize("NFKC", text))).lower()


def question_language(text: str) -> Language:
    """``en`` when the text's lower-case Latin words outnumber its Chinese words (counted as two characters each),
    else ``zh``. English sentences are mostly lower-case words; the Latin words a Chinese question quotes are mostly
    names, titles and codes (MIT OpenCourseWare指什么？, 5G基站建了多少个？), which are not."""
    return "en" if 2 * len(_LOWER_CASE_WORD.findall(text)) > len(_CJK_CHAR.findall(text)) else "zh"
