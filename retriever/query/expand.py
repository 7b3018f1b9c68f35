"""Query expansion: place names to their Chinese forms (gazetteer) and English words to Chinese terms (CC-CEDICT)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from retriever.query.aliases import Expansion, Gazetteer
from retriever.query.amounts import chinese_amounts, without_amounts
from retriever.query.bilingual import Bilingual, Translation
from retriever.reading.text import Language, question_language

_LATIN = re.compile(r"[A-Za-z]{2,}")
# What Chinese text writes in Latin script as is: numbers, codes with a digit (5G, G111, COVID-19), acronyms (GDP,
# NGOs) and names with an inner capital (iPhone).
_WRITTEN_AS_IS = re.compile(r"\b(?:[A-Za-z0-9]*\d[A-Za-z0-9]*|[A-Z]{2,}s?|[a-z]+[A-Z][A-Za-z]*)\b")
_NUMBER_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th|s)$")  # 2nd → 2, 1990s → 1990


def written_as_is(english: str) -> list[str]:
    """The words of an English text that a Chinese passage would write the same way; the others only stray Latin
    text in Chinese passages would match, so BM25 gets their translations instead."""
    return [_NUMBER_SUFFIX.sub("", word) for word in _WRITTEN_AS_IS.findall(english)]


@dataclass(frozen=True)
class QueryPlan:
    """What each retriever is asked: the dense query with canonical names, BM25 with names and translations.

    BM25 reads ``lexical_text``: a Chinese question whole, of an English one only the words Chinese text writes as
    is; the rest of an English question reaches BM25 through its translations."""

    query: str
    dense_text: str
    places: tuple[Expansion, ...]
    terms: tuple[Translation, ...]
    language: Language
    lexical_text: str

    @property
    def name_groups(self) -> list[tuple[str, ...]]:
        """Per place mentioned, its Chinese names not already in the query: alternatives for one concept."""
        groups = [tuple(name for name in place.names if name not in self.query) for place in self.places]
        return [group for group in groups if group]

    @property
    def translation_groups(self) -> list[tuple[str, ...]]:
        """Per English word or phrase, its Chinese candidates."""
        return [term.chinese for term in self.terms if term.chinese]

    @property
    def added_terms(self) -> list[str]:
        """Every term the expansion adds, for highlighting."""
        return [term for group in self.name_groups + self.translation_groups for term in group]


@lru_cache(maxsize=1)
def _bilingual() -> Bilingual:
    return Bilingual.load()


class QueryExpander:
    """Plans a query against one gazetteer (the shipped one plus the index's mined abbreviations)."""

    def __init__(self, gazetteer: Gazetteer, translate: bool = True) -> None:
        self.gazetteer = gazetteer
        self.translate = translate

    def plan(self, query: str) -> QueryPlan:
        places = tuple(self.gazetteer.expand(query))
        terms: tuple[Translation, ...] = ()
        if self.translate and _LATIN.search(query):
            terms = tuple(_bilingual().translate(query)) + tuple(chinese_amounts(query))
        canonical = tuple(dict.fromkeys(place.place for place in places if place.place not in query))
        dense_text = f"{query} ({'，'.join(canonical)})" if canonical else query
        language = question_language(query)
        lexical_text = " ".join(written_as_is(without_amounts(query))) if language == "en" else query
        return QueryPlan(query, dense_text, places, terms, language, lexical_text)
