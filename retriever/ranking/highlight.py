"""Marking query terms and the best-matching sentence in a passage."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from retriever.reading.segment import sentence_spans
from retriever.reading.text import normalize_for_matching

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    unique = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, unique)), re.IGNORECASE) if unique else None


def covered_chars(sentence: str, terms: Iterable[str]) -> int:
    """How many characters of ``terms`` the sentence contains (each term counted as often as it is given)."""
    normalized = normalize_for_matching(sentence)
    return sum(len(t) for t in terms if t in normalized)


def best_sentence(text: str, terms: Sequence[str]) -> tuple[int, int]:
    """Offsets of the sentence of ``text`` covering the most distinct query terms (the first on ties)."""
    spans = sentence_spans(text) or [(0, len(text))]
    wanted = {t for t in terms if t.strip()}
    return max(spans, key=lambda span: covered_chars(text[span[0] : span[1]], wanted))


def mark_terms(text: str, terms: Sequence[str]) -> str:
    """HTML-escaped ``text`` with every occurrence of a query term wrapped in <mark>."""
    pattern = _term_pattern(terms)
    if pattern is None:
        return html.escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(MARK_OPEN + html.escape(match.group()) + MARK_CLOSE)
        last = match.end()
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)
