"""English amounts in the forms Chinese text writes them: "3 million" → 300万, "1.5 billion" → 15亿,
"50,000" → 5万 (and each as plain digits), so that BM25 can match the number an English question names."""

from __future__ import annotations

import re

from retriever.query.bilingual import Translation

_AMOUNT = re.compile(
    r"\b(?P<number>\d+(?:\.\d+)?)\s*(?P<scale>thousand|million|billion)\b|\b(?P<large>\d{1,3}(?:,\d{3})+|\d{5,})\b",
    re.IGNORECASE,
)
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_CHINESE_UNITS = (("亿", 10**8), ("万", 10**4))


def _plain(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def chinese_forms(value: float) -> tuple[str, ...]:
    """``value`` in 亿 or 万 when it reaches them, then as plain digits: 3000000 → (300万, 3000000)."""
    forms = [f"{_plain(value / size)}{unit}" for unit, size in _CHINESE_UNITS if value >= size][:1]
    return (*forms, _plain(value))


def chinese_amounts(english: str) -> list[Translation]:
    """Every amount of ``english`` with a scale word or of five digits and more, with its Chinese forms."""
    translations = []
    for match in _AMOUNT.finditer(english):
        if match["large"]:
            value = float(match["large"].replace(",", ""))
        else:
            value = float(match["number"]) * _SCALES[match["scale"].lower()]
        translations.append(Translation(match.group(0), chinese_forms(value)))
    return translations


def without_amounts(english: str) -> str:
    """``english`` with its amounts blanked out (their Chinese forms stand in for them)."""
    return _AMOUNT.sub(" ", english)
