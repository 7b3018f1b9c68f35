"""Query expansion: place names to their Chinese forms (gazetteer) and English words to Chinese terms (CC-CEDICT)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from retriever.aliases import Expansion, Gazetteer
from retriever.bilingual import Bilingual, Translation

_LATIN = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class QueryPlan:
    """What each retriever is asked: the dense query with canonical names, BM25 with names and translations."""

    query: str
    dense_text: str
    places: tuple[Expansion, ...]
    terms: tuple[Translation, ...]

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
            terms = tuple(_bilingual().translate(query))
        canonical = tuple(dict.fromkeys(place.place for place in places if place.place not in query))
        dense_text = f"{query} ({'，'.join(canonical)})" if canonical else query
        return QueryPlan(query, dense_text, places, terms)
