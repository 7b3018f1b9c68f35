"""The searcher facade: one loaded index, one encoder, hybrid search over both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retriever.config import SearchMode, Settings
from retriever.errors import IndexChanged
from retriever.indexes.backend import Filters, LexicalQuery, SearchBackend
from retriever.indexes.manifest import Manifest
from retriever.indexes.seam import open_index
from retriever.model.embed import Encoder, load_reranker
from retriever.query.aliases import default_gazetteer
from retriever.query.expand import QueryExpander, QueryPlan
from retriever.query.tokenize import Tokenizer
from retriever.ranking.answer_span import classify_question, extract_answer
from retriever.ranking.dedup import near_duplicate, shingles
from retriever.ranking.fusion import rrf_fusion, weighted_fusion
from retriever.ranking.highlight import best_sentence, mark_terms
from retriever.reading.documents import Document, Passage
from retriever.reading.segment import matching_text
from retriever.reading.text import Language, join_lines

MIN_HIGHLIGHT_TERM_CHARS = 2


@dataclass(frozen=True)
class SearchHit:
    """A ranked passage with the scores that placed it there: ``text`` is the passage as displayed (hard line
    breaks joined), ``sentence`` the sentence that best covers the query and ``highlight`` that sentence with the
    query's terms marked."""

    passage: Passage
    document: Document
    text: str
    score: float
    dense_score: float
    lexical_score: float
    highlight: str
    sentence: str

    @property
    def passage_id(self) -> str:
        return self.passage.passage_id

    @property
    def doc_id(self) -> str:
        return self.document.doc_id

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def date(self) -> str | None:
        return self.document.date

    @property
    def source(self) -> str | None:
        return self.document.source


class CandidatePassages:
    """The passages of a query's candidates, fetched from the backend in batches as ranking steps first need them."""

    def __init__(self, backend: SearchBackend, ids: np.ndarray) -> None:
        self._backend = backend
        self._ids = ids
        self._fetched: dict[int, Passage] = {}

    def get(self, positions: Sequence[int]) -> list[Passage]:
        """The passages at these positions of the candidate list."""
        missing = [k for k in dict.fromkeys(positions) if k not in self._fetched]
        if missing:
            self._fetched.update(zip(missing, self._backend.get_many(self._ids[missing].tolist()), strict=True))
        return [self._fetched[k] for k in positions]


@dataclass(frozen=True)
class Candidates:
    """Passage ids with their dense (cosine) and lexical (BM25) scores, aligned, and their passages."""

    ids: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    passages: CandidatePassages


def highlight_terms(query: str, tokenizer: Tokenizer) -> list[str]:
    """Query tokens worth marking: single characters would light up every passage."""
    return [t for t in tokenizer.tokenize(query) if len(t) >= MIN_HIGHLIGHT_TERM_CHARS or t.isdigit()]


class Searcher:
    """Answers queries against one index directory; load once, share across requests."""

    def __init__(self, backend: SearchBackend, encoder: Encoder, settings: Settings) -> None:
        self.backend = backend
        self.encoder = encoder
        self.settings = settings
        self.reranker = load_reranker(settings.reranker) if settings.reranker else None
        self.expander = QueryExpander(default_gazetteer().with_aliases(backend.aliases), settings.translate_queries)

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder | None = None) -> Searcher:
        """Open the index ``settings`` point at: the Milvus collection when a Milvus URI is set, else ``index_dir``."""
        backend = open_index(settings)
        return cls(backend, encoder or Encoder.from_settings(settings), settings)

    @property
    def manifest(self) -> Manifest:
        return self.backend.manifest

    def document(self, doc_id: str) -> Document | None:
        return self.backend.document(doc_id)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self.backend.passages_of(doc_id)

    def _candidates(self, plan: QueryPlan, mode: SearchMode, n: int, filters: Filters | None) -> Candidates:
        """Passages worth scoring: the top ``n`` of each ranking the mode uses, with both scores."""
        vector = self.encoder.encode_query(plan.dense_text)
        groups = [(group, 1.0) for group in plan.name_groups]
        groups += [(group, self.settings.translation_weight) for group in plan.translation_groups]
        scored = self.backend.candidates(vector, LexicalQuery(plan.lexical_text, groups), mode, n, filters)
        return Candidates(scored.ids, scored.dense, scored.lexical, CandidatePassages(self.backend, scored.ids))

    def _rank_scores(self, candidates: Candidates, mode: SearchMode, language: Language) -> np.ndarray:
        if mode == "lexical":
            return candidates.lexical
        if mode == "dense":
            return candidates.dense
        if self.settings.fusion == "rrf":
            return rrf_fusion(candidates.dense, candidates.lexical, self.settings.rrf_k)
        return weighted_fusion(candidates.dense, candidates.lexical, self.settings.fusion_alpha_for(language))

    def search(
        self,
        query: str,
        top_k: int | None = None,
        mode: SearchMode = "hybrid",
        plan: QueryPlan | None = None,
        filters: Filters | None = None,
    ) -> list[SearchHit]:
        """The ``top_k`` best passages for ``query``; every hit carries its dense, lexical and fused scores.

        ``plan`` is the query's expansion (``self.expander.plan(query)`` when not given); with ``filters`` only
        passages of matching documents are ranked.
        """
        top_k = top_k or self.settings.default_top_k
        plan = plan or self.expander.plan(query)
        try:
            return self._ranked(query, top_k, mode, plan, filters)
        except IndexChanged:
            # An update in place (Milvus) removed a passage this search had found: the second search sees it whole.
            return self._ranked(query, top_k, mode, plan, filters)

    def _ranked(
        self, query: str, top_k: int, mode: SearchMode, plan: QueryPlan, filters: Filters | None
    ) -> list[SearchHit]:
        n = min(max(self.settings.candidates, top_k), len(self.backend))
        candidates = self._candidates(plan, mode, n, filters)
        scores = self._rank_scores(candidates, mode, plan.language)
        terms = highlight_terms(query, self.backend.tokenizer) + plan.added_terms
        if mode == "hybrid" and self.settings.answer_type_weight > 0:
            scores = self._favour_answer_type(query, terms if plan.language == "zh" else None, candidates, scores)
        if mode == "hybrid" and self.reranker is not None:
            scores = self._rerank(query, candidates, scores)
        kept = self._distinct(candidates.passages, np.argsort(-scores, kind="stable"), top_k)
        passages = candidates.passages.get(kept)
        documents = self.backend.documents({passage.doc_id for passage in passages})
        if gone := {passage.doc_id for passage in passages} - documents.keys():
            raise IndexChanged(f"document {min(gone)!r} left the index while a search used it")
        return [
            self._hit(candidates, scores, k, passage, documents[passage.doc_id], terms)
            for k, passage in zip(kept, passages, strict=True)
        ]

    def _favour_answer_type(
        self, query: str, terms: list[str] | None, candidates: Candidates, scores: np.ndarray
    ) -> np.ndarray:
        """Raise the best-ranked passages that hold an answer of the kind the question asks for (a count in the
        asked unit, a date, a name…); open questions are left as ranked.

        With ``terms`` (a Chinese question's words) only the passage's sentence covering most of them is read:
        tagging names costs jieba's HMM time in proportion to the text, and whole passages made the slowest
        searches 5 to 11 times the median. An English question has only translations to find that sentence with
        (XQuAD en hit@1 0.005 lower), so ``None`` reads whole passages."""
        if classify_question(query) == "other":
            return scores
        boosted = scores.copy()
        top = np.argsort(-scores, kind="stable")[: self.settings.answer_type_depth].tolist()
        for k, passage in zip(top, candidates.passages.get(top), strict=True):
            text = join_lines(passage.text)
            start, end = best_sentence(text, terms) if terms is not None else (0, len(text))
            if extract_answer(query, text[start:end], text) is not None:
                boosted[k] += self.settings.answer_type_weight
        return boosted

    def _rerank(self, query: str, candidates: Candidates, scores: np.ndarray) -> np.ndarray:
        """Reorder the top passages by the cross-encoder; they rank above the rest, whose order is kept."""
        top = np.argsort(-scores, kind="stable")[: self.settings.rerank_depth]
        pairs = [(query, matching_text(passage)) for passage in candidates.passages.get(top.tolist())]
        rerank_scores = np.asarray(self.reranker.predict(pairs, show_progress_bar=False), dtype=np.float32)
        reranked = scores - scores.max() - 1.0 + min(0.0, float(rerank_scores.min()))
        reranked[top] = rerank_scores
        return reranked

    @staticmethod
    def _distinct(passages: CandidatePassages, order: np.ndarray, top_k: int) -> list[int]:
        """The first ``top_k`` of ``order`` skipping passages that nearly repeat a better-ranked one; passages are
        fetched ``top_k`` at a time, as the walk down ``order`` reaches them."""
        kept: list[int] = []
        seen: list[frozenset[str]] = []
        for first in range(0, len(order), top_k):
            window = order[first : first + top_k].tolist()
            for k, passage in zip(window, passages.get(window), strict=True):
                grams = shingles(passage.text)
                if any(near_duplicate(grams, other) for other in seen):
                    continue
                kept.append(k)
                seen.append(grams)
                if len(kept) == top_k:
                    return kept
        return kept

    @staticmethod
    def _hit(
        candidates: Candidates, scores: np.ndarray, k: int, passage: Passage, document: Document, terms: list[str]
    ) -> SearchHit:
        display = join_lines(passage.text)
        start, end = best_sentence(display, terms)
        return SearchHit(
            passage=passage,
            document=document,
            text=display,
            score=float(scores[k]),
            dense_score=float(candidates.dense[k]),
            lexical_score=float(candidates.lexical[k]),
            highlight=mark_terms(display[start:end], terms),
            sentence=display[start:end],
        )
