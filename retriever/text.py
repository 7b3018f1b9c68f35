"""Normalisation applied identically to passages and queries before matching."""

from __future__ import annotations

import re
import unicodedata

NORMALIZER_VERSION = "1"

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_BREAK_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}，。、；：？！“”《》（）])\s+(?=[{_CJK}，。、；：？！“”《》（）])")
_SPACES = re.compile(r"\s+")


def join_lines(text: str) -> str:
    """Undo hard line wraps: drop whitespace between CJK characters, collapse the rest."""
    return _SPACES.sub(" ", _BREAK_BETWEEN_CJK.sub("", text)).strip()


def normalize_for_matching(text: str) -> str:
    """NFKC (full-width to half-width), lower case and joined lines, for tokens and answer checks."""
    return join_lines(unicodedata.normalize("NFKC", text)).lower()
