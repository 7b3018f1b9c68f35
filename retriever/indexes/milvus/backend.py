"""Search a Milvus collection: dense by its vector index (HNSW on a server), lexical by sparse inner product over
the project's BM25 weights.

A query's BM25 score is the embedded backend's: the query's tokens, plus for each group of alternative terms its best
term at the group's weight. An inner product sums terms, so each term (and the query itself) is one sparse search;
their top passages form a pool, the pool is scored by every search (filtered to the pool), and the scores combine here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np
from pymilvus import MilvusClient, MilvusException

from retriever.config import SearchMode, Settings
from retriever.errors import BackendUnavailable, IndexChanged, IndexLoadError
from retriever.indexes.backend import Filters, LexicalQuery, ScoredCandidates, top_positions, union_in_order
from retriever.indexes.manifest import check_compatible
from retriever.indexes.milvus.bm25 import PASSAGES_ROW, query_weights, token_dimension
from retriever.indexes.milvus.collection import (
    DOCUMENT_FIELDS,
    MAX_RESULT_WINDOW,
    PASSAGE_FIELDS,
    connect,
    dense_search_params,
    documents_collection,
    documents_of,
    filter_expression,
    in_filter,
    iterate,
    literal,
    live_generation,
    load_generation,
    location,
    passage_of,
    read_properties,
    terms_collection,
)
from retriever.query.tokenize import Tokenizer
from retriever.reading.documents import Document, Passage
from retriever.reading.text import normalize_for_matching

_NO_IDS = np.zeros(0, dtype=np.int64)
P = ParamSpec("P")
R = TypeVar("R")


def _unavailable_on_failure(
    method: Callable[Concatenate[MilvusBackend, P], R],
) -> Callable[Concatenate[MilvusBackend, P], R]:
    """Report a failed Milvus call as :class:`BackendUnavailable` (the API answers 503 rather than 500)."""

    @functools.wraps(method)
    def wrapper(self: MilvusBackend, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except MilvusException as exc:
            raise BackendUnavailable(f"{self.location} did not answer: {exc.message}") from exc

    return wrapper


class MilvusBackend:
    """One generation of a Milvus index, resolved from the alias when opened: a rebuild that moves the alias does
    not change what this object serves, so each request is answered wholly by one generation."""

    def __init__(self, client: MilvusClient, collection: str, settings: Settings) -> None:
        self.client = client
        self.collection = collection
        self.documents_collection = documents_collection(collection)
        self.terms_collection = terms_collection(collection)
        self.location = f"{location(settings)} ({collection})"
        self.manifest, self.aliases = read_properties(client, collection, self.location)
        self.tokenizer = Tokenizer.for_aliases(self.aliases)
        self._settings = settings

    @classmethod
    def open(cls, settings: Settings) -> MilvusBackend:
        """The generation the configured alias points at, loaded for search and checked against ``settings``."""
        client = connect(settings)
        collection = live_generation(client, settings.milvus_collection)
        if collection is None:
            raise IndexLoadError(f"no index in {location(settings)}; build one with `retriever build`")
        try:
            load_generation(client, collection)
            backend = cls(client, collection, settings)
        except MilvusException as exc:
            raise IndexLoadError(f"cannot load {location(settings)}: {exc.message}") from exc
        check_compatible(backend.manifest, backend.location, settings.model)
        return backend

    def __len__(self) -> int:
        return self.manifest.passages

    @_unavailable_on_failure
    def candidates(
        self, vector: np.ndarray, lexical: LexicalQuery, mode: SearchMode, n: int, filters: Filters | None = None
    ) -> ScoredCandidates:
        allowed = filter_expression(filters) if filters else ""
        dense_ids, dense_scores = self._dense_top(vector, n, allowed) if mode != "lexical" else (_NO_IDS, {})
        if mode == "dense":
            return ScoredCandidates(
                dense_ids,
                np.asarray([dense_scores[i] for i in dense_ids.tolist()], np.float32),
                np.zeros(len(dense_ids), np.float32),
            )
        lexical_ids, lexical_scores = self._lexical_top(lexical, n, dense_ids, allowed)
        ids = union_in_order(dense_ids, lexical_ids)
        missing = [i for i in ids.tolist() if i not in dense_scores]
        dense_scores.update(self._dense_scores(vector, missing))
        return ScoredCandidates(
            ids=ids,
            dense=np.asarray([dense_scores[i] for i in ids.tolist()], dtype=np.float32),
            lexical=np.asarray([lexical_scores.get(i, 0.0) for i in ids.tolist()], dtype=np.float32),
        )

    def _dense_top(self, vector: np.ndarray, n: int, allowed: str) -> tuple[np.ndarray, dict[int, float]]:
        found = self.client.search(
            self.collection,
            data=[vector.tolist()],
            anns_field="vector",
            limit=n,
            filter=allowed,
            output_fields=["pid"],
            search_params={"metric_type": "IP", "params": dense_search_params(self._settings, n)},
        )[0]
        scores = {hit["pid"]: float(hit["distance"]) for hit in found}
        return np.fromiter(scores, dtype=np.int64, count=len(scores)), scores

    def _dense_scores(self, vector: np.ndarray, ids: Sequence[int]) -> dict[int, float]:
        """Exact cosines of ``ids`` (their stored vectors against the query's)."""
        if not ids:
            return {}
        rows = self.client.get(self.collection, ids=list(ids), output_fields=["vector"])
        return {row["pid"]: float(np.asarray(row["vector"], dtype=np.float32) @ vector) for row in rows}

    def _lexical_top(
        self, lexical: LexicalQuery, n: int, also: np.ndarray, allowed: str
    ) -> tuple[np.ndarray, dict[int, float]]:
        """The ``n`` best passages by BM25 (positive scores only) among those ``allowed`` (a filter expression),
        and the BM25 score of those and of ``also``."""
        base = self.tokenizer.tokenize(lexical.query)
        wholes = {term: normalize_for_matching(term) for terms, _ in lexical.groups for term in terms}
        pieces = {term: self.tokenizer.tokenize(term) for term in wholes}
        frequencies, passages = self._frequencies([*base, *wholes.values(), *(t for ts in pieces.values() for t in ts)])
        searches = [query_weights(base, frequencies, passages)]
        groups: list[tuple[float, list[int]]] = []
        for terms, weight in lexical.groups:
            groups.append((weight, list(range(len(searches), len(searches) + len(terms)))))
            for term in terms:
                # A whole expansion term when the index knows it as one token, else its pieces (as bm25s decides).
                whole = query_weights([wholes[term]], frequencies, passages)
                searches.append(whole or query_weights(pieces[term], frequencies, passages))
        asked = [k for k, weights in enumerate(searches) if weights]
        if not asked:
            return _NO_IDS, {}
        pool = set(also.tolist())
        for hits in self._bm25([searches[k] for k in asked], n, allowed):
            pool.update(hit["pid"] for hit in hits)
        ids = sorted(pool)
        scores = np.zeros((len(searches), len(ids)), dtype=np.float32)
        column = {pid: j for j, pid in enumerate(ids)}
        for first in range(0, len(ids), MAX_RESULT_WINDOW):
            window = ids[first : first + MAX_RESULT_WINDOW]
            hits_per_search = self._bm25([searches[k] for k in asked], len(window), in_filter("pid", window))
            for k, hits in zip(asked, hits_per_search, strict=True):
                for hit in hits:
                    scores[k, column[hit["pid"]]] = hit["distance"]
        combined = scores[0].copy()
        for weight, rows in groups:
            combined += weight * scores[rows].max(axis=0)
        top = top_positions(combined, n)
        top = top[combined[top] > 0]
        return np.asarray(ids, dtype=np.int64)[top], dict(zip(ids, combined.tolist(), strict=True))

    def _frequencies(self, tokens: Sequence[str]) -> tuple[dict[int, int], int]:
        """Document frequencies of the tokens' dimensions (absent: in no passage), and the live passage count."""
        dimensions = list({token_dimension(token) for token in tokens if token})
        if not dimensions:
            return {}, len(self)
        rows = self.client.get(self.terms_collection, ids=[*dimensions, PASSAGES_ROW], output_fields=["df"])
        found = {row["dimension"]: row["df"] for row in rows}
        return found, found.pop(PASSAGES_ROW, len(self))

    def _bm25(self, queries: list[dict[int, float]], limit: int, filter: str = "") -> list[list[dict]]:
        return self.client.search(
            self.collection,
            data=queries,
            anns_field="bm25",
            limit=limit,
            filter=filter,
            output_fields=["pid"],
            search_params={"metric_type": "IP"},
        )

    @_unavailable_on_failure
    def get_many(self, ids: Sequence[int]) -> list[Passage]:
        wanted = [int(i) for i in ids]
        rows = self.client.query(
            self.collection, filter=in_filter("pid", wanted), output_fields=["pid", *PASSAGE_FIELDS]
        )
        by_id = {row["pid"]: passage_of(row) for row in rows}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            # Found by this request's search, gone by its fetch: an update deleted it in between.
            raise IndexChanged(f"passage {missing[0]} left {self.location} while a search used it")
        return [by_id[i] for i in wanted]

    def document(self, doc_id: str) -> Document | None:
        return self.documents([doc_id]).get(doc_id)

    @_unavailable_on_failure
    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        wanted = list(dict.fromkeys(doc_ids))
        if not wanted:
            return {}
        rows = self.client.query(
            self.documents_collection, filter=in_filter("doc_id", wanted), output_fields=DOCUMENT_FIELDS
        )
        return documents_of(rows)

    @_unavailable_on_failure
    def all_documents(self) -> list[Document]:
        """Every document of this generation, by id."""
        documents = documents_of(iterate(self.client, self.documents_collection, "key", DOCUMENT_FIELDS))
        return [documents[doc_id] for doc_id in sorted(documents)]

    @_unavailable_on_failure
    def passages_of(self, doc_id: str) -> list[Passage]:
        rows = self.client.query(self.collection, filter=f"doc_id == {literal(doc_id)}", output_fields=PASSAGE_FIELDS)
        return sorted((passage_of(row) for row in rows), key=lambda p: p.position)
