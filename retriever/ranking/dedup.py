"""Near-duplicate detection for result lists: repeated sentences, captions and footers across articles."""

from __future__ import annotations

from retriever.reading.text import normalize_for_matching

SHINGLE = 3
NEAR_DUPLICATE = 0.8


def shingles(text: str) -> frozenset[str]:
    """Character trigrams of the matching form, whitespace and punctuation ignored."""
    chars = "".join(ch for ch in normalize_for_matching(text) if ch.isalnum())
    if len(chars) <= SHINGLE:
        return frozenset([chars])
    return frozenset(chars[i : i + SHINGLE] for i in range(len(chars) - SHINGLE + 1))


def near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether one text is (almost) contained in the other: overlap over the smaller set."""
    smaller = min(len(a), len(b))
    return smaller > 0 and len(a & b) / smaller >= NEAR_DUPLICATE
