"""Chinese-aware tokenisation for the lexical index: jieba in search mode with a domain dictionary."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

from retriever.aliases import default_gazetteer
from retriever.text import normalize_for_matching

DOMAIN_TERMS = Path(__file__).resolve().parent.parent / "data" / "domain_terms.txt"

_WORDLIKE = re.compile(r"\w")


@lru_cache(maxsize=1)
def domain_words() -> tuple[str, ...]:
    """Place names and aliases from the gazetteer plus the policy terms of ``data/domain_terms.txt``."""
    terms = [
        line.strip()
        for line in DOMAIN_TERMS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return tuple(sorted(set(default_gazetteer().chinese_names()) | set(terms)))


def _version(words: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(words).encode()).hexdigest()[:12]
    return f"jieba-{jieba.__version__}-search-domain-{digest}"


TOKENIZER_VERSION = _version(domain_words())


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    for word in domain_words():
        segmenter.add_word(normalize_for_matching(word))
    return segmenter


def add_words(words: Iterable[str]) -> None:
    """Teach the tokenizer more words (e.g. abbreviations mined from a corpus), so that each is one token."""
    segmenter = _segmenter()
    for word in words:
        segmenter.add_word(normalize_for_matching(word))


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; search mode also emits the shorter words inside long ones."""
    return [
        token
        for token in _segmenter().cut_for_search(normalize_for_matching(text))
        if _WORDLIKE.search(token) and not token.isspace()
    ]
