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

import rjieba

from retriever.package_data import data_file
from retriever.query.aliases import default_gazetteer
from retriever.reading.text import normalize_for_matching

DOMAIN_TERMS = data_file("domain_terms.txt")

_WORDLIKE = re.compile(r"\w")
_JOINING_PUNCTUATION = re.compile(r"[-_]|\.(?!\d)|(?<!\d)\.")
_JOINED_RUN = re.compile(r"[^\W_]+(?:\.\d+)?%?")
"""jieba-rs keeps a run such as ``2016-09-09``, ``zh-cn`` or ``www.gov.cn`` whole where Python jieba splits it at the
punctuation (keeping decimals and percentages), so that ``2016`` matches: hyphens, underscores and non-decimal dots
become spaces before cutting, and a run still joined by other punctuation is split into the same pieces after (one
piece, such as ``c++`` or ``50%``, stays whole)."""
_TOKENIZE_CHUNK = 512


@lru_cache(maxsize=1)
def domain_words() -> tuple[str, ...]:
    """Place names and aliases from the gazetteer plus the policy terms of ``retriever/data/domain_terms.txt``."""
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
def _normalized_domain_words() -> tuple[str, ...]:
    return tuple(normalize_for_matching(word) for word in domain_words())


class Tokenizer:
    """Word tokens for BM25: the domain dictionary plus ``words``, the abbreviations one index mined from its corpus.

    Each index owns one, so that loading, reloading or building another index in the same process never changes how
    this one tokenises (one costs about 0.1 s and 25 MB).
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = tuple(dict.fromkeys(normalize_for_matching(word) for word in words))
        self._jieba = rjieba.Jieba()
        for word in (*_normalized_domain_words(), *self.words):
            self._jieba.add_word(word, None, None)

    @classmethod
    def for_aliases(cls, aliases: Iterable[tuple[str, str]]) -> Tokenizer:
        """The tokenizer of an index whose mined (short form, full name) pairs are ``aliases``: each short form one
        word."""
        return cls(short for short, _ in aliases)

    def tokenize(self, text: str) -> list[str]:
        """Normalised word tokens; search mode also emits the shorter words inside long ones."""
        tokens: list[str] = []
        for token in self._jieba.cut_for_search(_JOINING_PUNCTUATION.sub(" ", normalize_for_matching(text))):
            if token.isalnum():
                tokens.append(token)
            elif _WORDLIKE.search(token):
                pieces = _JOINED_RUN.findall(token)
                tokens.extend(pieces if len(pieces) > 1 else [token])
        return tokens

    def tokenize_many(self, texts: Sequence[str], processes: int = 1) -> Iterator[list[str]]:
        """``tokenize`` of each text, in order; with ``processes`` > 1 spread over that many worker processes, each
        with a tokenizer of the same words."""
        if processes <= 1:
            yield from map(self.tokenize, texts)
            return
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes, initializer=_start_worker, initargs=(self.words,)) as pool:
            yield from pool.imap(_tokenize_in_worker, texts, chunksize=_TOKENIZE_CHUNK)


@lru_cache(maxsize=1)
def default_tokenizer() -> Tokenizer:
    """The domain dictionary alone, for text that belongs to no index."""
    return Tokenizer()


_worker_tokenizer: Tokenizer | None = None
"""A worker process's own tokenizer (``Tokenizer.tokenize_many``)."""


def _start_worker(words: tuple[str, ...]) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(words)


def _tokenize_in_worker(text: str) -> list[str]:
    assert _worker_tokenizer is not None
    return _worker_tokenizer.tokenize(text)
