"""Part-of-speech tags from jieba, computed on the Simplified form of the text and mapped back to its offsets.

jieba's dictionary is Simplified: on Traditional text its HMM runs over characters it does not know, which is both
slow (about 35× per passage) and worse. OpenCC's t2s conversion keeps the length for nearly all text; when it
does not, the original text is tagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg

from retriever.reading.text import to_simplified


@dataclass(frozen=True)
class Token:
    """A word of the original text with its jieba tag and start offset."""

    word: str
    flag: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.word)


@lru_cache(maxsize=1)
def tagger() -> jieba.posseg.POSTokenizer:
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.posseg.dt


@lru_cache(maxsize=16384)
def tag(text: str) -> tuple[Token, ...]:
    """The tagged words of ``text``; cached, since the same passages come back for many questions."""
    simplified = to_simplified(text)
    tagged = simplified if len(simplified) == len(text) else text
    tokens, start = [], 0
    for word, flag in tagger().cut(tagged):
        tokens.append(Token(text[start : start + len(word)], flag, start))
        start += len(word)
    return tuple(tokens)
