"""Scoring answers against gold answers the way the CMRC 2018 evaluation does.

Both sides are compared in a normal form: NFKC, lower-cased, whitespace and punctuation removed. Exact match
(EM) is equality with a gold answer; F1 comes from the longest common substring of characters; "contains"
(the rule the `confident_wrong` figure uses) is a gold answer inside the answer. A null answer scores 0.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

CONFIDENT = 0.7
"""An answer at or above this confidence is stated as confident (the `confident` figures, the API's flag)."""

def is_confident(answer: str | None, confidence: float) -> bool:
    """Whether an answer is stated as confident: there is one, at ``CONFIDENT`` or above."""
    return answer is not None and confidence >= CONFIDENT


# Unicode categories removed besides punctuation (P*): math and modifier symbols (+ = ~ ^ `), whitespace, controls.
_DROPPED_CATEGORIES = frozenset({"Sm", "Sk", "Zs", "Zl", "Zp", "Cc", "Cf"})


def scoring_form(text: str) -> str:
    """NFKC, lower case, no whitespace or punctuation."""
    normal = unicodedata.normalize("NFKC", text).lower()
    return "".join(
        ch for ch in normal if not (unicodedata.category(ch).startswith("P") or unicodedata.category(ch) in _DROPPED_CATEGORIES)
    )


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, 1):
            if ch == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def exact_match(answer: str | None, golds: Sequence[str]) -> float:
    if answer is None:
        return 0.0
    form = scoring_form(answer)
    return float(any(form == scoring_form(gold) for gold in golds))


def f1(answer: str | None, golds: Sequence[str]) -> float:
    """Best F1 over the gold answers, from their longest common substring with the answer."""
    if answer is None:
        return 0.0
    form = scoring_form(answer)
    best = 0.0
    for gold in golds:
        gold_form = scoring_form(gold)
        common = _longest_common_substring(form, gold_form)
        if common:
            precision, recall = common / len(form), common / len(gold_form)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_gold(answer: str | None, golds: Sequence[str]) -> bool:
    """The answer holds a gold answer (the rule for 'a confident answer is right')."""
    if answer is None:
        return False
    form = scoring_form(answer)
    return any((gold_form := scoring_form(gold)) and gold_form in form for gold in golds)
