"""Chunking a clean document into passages with exact offsets and their heading context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from retriever.reading.documents import Document, Passage
from retriever.reading.paragraphs import CLOSERS, SENTENCE_END, ends_sentence
from retriever.reading.text import join_lines

SOFT_BREAKS = "，、,：:"
HEADING_MAX_CHARS = 40

_BLANK_LINE = re.compile(r"\n[ \t\u3000\r]*\n")
_SENTENCE = re.compile(rf"[^{SENTENCE_END}]*(?:[{SENTENCE_END}]+[{CLOSERS}]*|$)")
_CAPTION = re.compile(r"^(?:图\s*[一二三四五六七八九十\d]*\s*[：:]|图为|\(?[（(]?摄影)|[（(]?[^，。,]{0,12}摄[）)]?$")

BlockKind = Literal["body", "heading", "caption"]


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: BlockKind


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) past surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs of ``text``: blank-line separated, or one per line if it has no blank line."""
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
    return [span for m in _SENTENCE.finditer(text, start, end) if (span := _trimmed(text, m.start(), m.end()))]


def classify(paragraph: str) -> BlockKind:
    """Captions (图一：…, …摄) and headings (short, no sentence end) are context, not passages."""
    if _CAPTION.search(paragraph):
        return "caption"
    if len(paragraph) <= HEADING_MAX_CHARS and not ends_sentence(paragraph):
        return "heading"
    return "body"


def blocks(text: str) -> list[Block]:
    return [Block(s, e, classify(text[s:e])) for s, e in paragraph_spans(text)]


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


def _pack(pieces: list[tuple[int, int]], max_chars: int, overlap_chars: int) -> list[tuple[int, int]]:
    """Greedy packing of consecutive sentences into spans of at most ``max_chars``.

    A new span starts with the previous span's closing sentences (up to ``overlap_chars``) so that
    a fact split across the boundary keeps its subject.
    """
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        last = first
        while last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= max_chars:
            last += 1
        spans.append((pieces[first][0], pieces[last][1]))
        if last + 1 >= len(pieces):
            break
        restart = last + 1
        while (
            restart - 1 > first
            and pieces[last][1] - pieces[restart - 1][0] <= overlap_chars
            and pieces[last + 1][1] - pieces[restart - 1][0] <= max_chars
        ):
            restart -= 1
        first = restart
    return spans


def chunk_spans(text: str, max_chars: int, overlap_chars: int = 0, min_chars: int = 0) -> list[tuple[int, int, str]]:
    """Passages as (start, end, section): body paragraphs, short ones merged with the next, long ones packed.

    Every span is at most ``max_chars`` characters long. Headings become the ``section`` of the body
    that follows them; captions are left out. A text without any body paragraph is all body.
    """
    chunks: list[tuple[int, int, str]] = []
    section, headings_open = "", False
    pending: tuple[int, int] | None = None
    document_blocks = blocks(text)
    if not any(block.kind == "body" for block in document_blocks):
        document_blocks = [Block(block.start, block.end, "body") for block in document_blocks]
    for block in document_blocks:
        if block.kind != "body":
            if pending:
                chunks.append((*pending, section))
                pending = None
            if block.kind == "heading":
                heading = text[block.start : block.end]
                section = f"{section} {heading}" if headings_open else heading
            headings_open = block.kind == "heading"
            continue
        headings_open = False
        start = pending[0] if pending and block.end - pending[0] <= max_chars else block.start
        if pending and start != pending[0]:
            chunks.append((*pending, section))
        pending = None
        if block.end - start <= max_chars:
            if block.end - start < min_chars:
                pending = (start, block.end)
            else:
                chunks.append((start, block.end, section))
            continue
        pieces = [p for s, e in sentence_spans(text, block.start, block.end) for p in _hard_split(text, s, e, max_chars)]
        chunks.extend((s, e, section) for s, e in _pack(pieces, max_chars, overlap_chars))
    if pending:
        chunks.append((*pending, section))
    return chunks


def chunk_document(document: Document, max_chars: int, overlap_chars: int = 0, min_chars: int = 0) -> list[Passage]:
    """The passages of one document, with ids stable for a given text and settings."""
    return [
        Passage(
            passage_id=f"{document.doc_id}#{position}",
            doc_id=document.doc_id,
            position=position,
            start=start,
            end=end,
            text=document.text[start:end],
            title=document.title,
            section=section,
        )
        for position, (start, end, section) in enumerate(
            chunk_spans(document.text, max_chars, overlap_chars, min_chars)
        )
    ]


def matching_text(passage: Passage) -> str:
    """What the encoder and BM25 see of a passage: its title and section, then its text."""
    context = " ".join(part for part in (passage.title, passage.section) if part)
    body = join_lines(passage.text)
    return f"{context}\n{body}" if context else body
