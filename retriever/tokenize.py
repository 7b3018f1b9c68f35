"""Chinese-aware tokenisation for the lexical index: jieba in search mode with a domain dictionary.

The segmenter is jieba-rs (``rjieba``): the same dictionary and HMM as Python jieba, about eight times faster.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import rjieba

from retriever.aliases import default_gazetteer
from retriever.text import normalize_for_matching

DOMAIN_TERMS = Path(__file__).resolve().parent.parent / "data" / "domain_terms.txt"

_WORDLIKE = re.compile(r"\w")
_JOINING_PUNCTUATION = re.compile(r"[-_]|\.(?!\d)|(?<!\d)\.")
_JOINED_RUN = re.compile(r"[^\W_]+(?:\.\d+)?%?")
"""jieba-rs keeps a run such as ``2016-09-09``, ``zh-cn`` or ``www.gov.cn`` whole where Python jieba splits it at the
punctuation (keeping decimals and percentages), so that ``2016`` matches: hyphens, underscores and non-decimal dots
become spaces before cutting, and a run still joined by other punctuation is split into the same pieces after (one piece, such as ``c++`` or
``50%``, stays whole)."""
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
    """Names what the tokens depend on: jieba-rs's version, the splitting rules and the domain dictionary."""
    rules = [_JOINING_PUNCTUATION.pattern, _JOINED_RUN.pattern, _WORDLIKE.pattern]
    digest = hashlib.sha256("\n".join([*rules, *words]).encode()).hexdigest()[:12]
    return f"rjieba-{version('rjieba')}-search-domain-{digest}"


TOKENIZER_VERSION = _version(domain_words())


@lru_cache(maxsize=1)
def _segmenter() -> rjieba.Jieba:
    segmenter = rjieba.Jieba()
    for word in domain_words():
        segmenter.add_word(normalize_for_matching(word), None, None)
    return segmenter


def add_words(words: Iterable[str]) -> None:
    """Teach the tokenizer more words (e.g. abbreviations mined from a corpus), so that each is one token."""
    segmenter = _segmenter()
    for word in words:
        normalized = normalize_for_matching(word)
        segmenter.add_word(normalized, None, None)
        _added_words[normalized] = None


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; search mode also emits the shorter words inside long ones."""
    tokens: list[str] = []
    text = _JOINING_PUNCTUATION.sub(" ", normalize_for_matching(text))
    for token in _segmenter().cut_for_search(text):
        if token.isalnum():
            tokens.append(token)
        elif _WORDLIKE.search(token):
            pieces = _JOINED_RUN.findall(token)
            tokens.extend(pieces if len(pieces) > 1 else [token])
    return tokens


def tokenize_many(texts: Sequence[str], processes: int = 1) -> Iterator[list[str]]:
    """``tokenize`` of each text, in order; with ``processes`` > 1 spread over that many worker processes
    (started fresh, then taught the words this process was taught)."""
    if processes <= 1:
        yield from map(tokenize, texts)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=add_words, initargs=(list(_added_words),)) as pool:
        yield from pool.imap(tokenize, texts, chunksize=_TOKENIZE_CHUNK)
