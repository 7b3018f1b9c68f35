"""Paragraph segmentation and chunking into passages with exact offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from retriever.documents import Document, Passage

SENTENCE_END = "。！？；!?;…"
CLOSERS = "”’」』）)》】\"'"
SOFT_BREAKS = "，、,：:"

_BLANK_LINE = re.compile(r"\n[ \t\u3000\r]*\n")
_SENTENCE = re.compile(rf"[^{SENTENCE_END}]*(?:[{SENTENCE_END}]+[{CLOSERS}]*|$)")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) past surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs of ``text``.

    Paragraphs are separated by blank lines; a text without any blank line is
    taken to hold one paragraph per line.
    """
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else re.compile(r"\n")
    spans, start = [], 0
    for match in separator.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [span for s, e in spans if (span := _trimmed(text, s, e))]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the sentences inside ``text[start:end]``, each ending after its punctuation."""
    end = len(text) if end is None else end
    spans = []
    for match in _SENTENCE.finditer(text, start, end):
        if span := _trimmed(text, match.start(), match.end()):
            spans.append(span)
    return spans


def _hard_split(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence into pieces of at most ``max_chars``, preferring a comma."""
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind(ch) for ch in SOFT_BREAKS) + 1
        if cut < max_chars // 2:
            cut = max_chars
        if piece := _trimmed(text, start, start + cut):
            yield piece
        start += cut
    if piece := _trimmed(text, start, end):
        yield piece


def chunk_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Passages: one per paragraph, long paragraphs packed sentence by sentence.

    Every span is at most ``max_chars`` characters long.
    """
    chunks: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text):
        if p_end - p_start <= max_chars:
            chunks.append((p_start, p_end))
            continue
        pieces = [
            piece for s, e in sentence_spans(text, p_start, p_end) for piece in _hard_split(text, s, e, max_chars)
        ]
        current: tuple[int, int] | None = None
        for s, e in pieces:
            if current and e - current[0] <= max_chars:
                current = (current[0], e)
            else:
                if current:
                    chunks.append(current)
                current = (s, e)
        if current:
            chunks.append(current)
    return chunks


def chunk_document(document: Document, max_chars: int) -> list[Passage]:
    """The passages of one document, with ids stable for a given text and setting."""
    return [
        Passage(
            passage_id=f"{document.doc_id}#{position}",
            doc_id=document.doc_id,
            position=position,
            start=start,
            end=end,
            text=document.text[start:end],
            title=document.title,
        )
        for position, (start, end) in enumerate(chunk_spans(document.text, max_chars))
    ]
