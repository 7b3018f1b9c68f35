"""Chinese-aware tokenisation for the lexical index: jieba in search mode with a domain dictionary."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import jieba

from retriever.aliases import default_gazetteer
from retriever.text import normalize_for_matching

DOMAIN_TERMS = Path(__file__).resolve().parent.parent / "data" / "domain_terms.txt"

_WORDLIKE = re.compile(r"\w")
_TOKENIZE_CHUNK = 512
_added_words: dict[str, None] = {}
"""Words taught with ``add_words``, in the order first taught, so that worker processes can be taught them too."""


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
        normalized = normalize_for_matching(word)
        segmenter.add_word(normalized)
        _added_words[normalized] = None


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; search mode also emits the shorter words inside long ones."""
    return [
        token
        for token in _segmenter().cut_for_search(normalize_for_matching(text))
        if _WORDLIKE.search(token) and not token.isspace()
    ]


def tokenize_many(texts: Sequence[str], processes: int = 1) -> Iterator[list[str]]:
    """``tokenize`` of each text, in order; with ``processes`` > 1 spread over that many worker processes
    (started fresh, then taught the words this process was taught)."""
    if processes <= 1:
        yield from map(tokenize, texts)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=add_words, initargs=(list(_added_words),)) as pool:
        yield from pool.imap(tokenize, texts, chunksize=_TOKENIZE_CHUNK)
