"""Chinese-aware tokenisation for the lexical index (jieba, search mode)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from retriever.text import normalize_for_matching

TOKENIZER_VERSION = f"jieba-{jieba.__version__}-search-1"

_WORDLIKE = re.compile(r"\w")


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; search mode also emits the shorter words inside long ones."""
    return [
        token
        for token in _segmenter().cut_for_search(normalize_for_matching(text))
        if _WORDLIKE.search(token) and not token.isspace()
    ]
