"""The build steps every backend shares: chunking, matching text, vector reuse, aliases, the manifest and the
stage clock. Writing the result is the backend's own (:mod:`retriever.indexes.build` for an index directory,
:mod:`retriever.indexes.milvus.writer` for a collection)."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
from tqdm import tqdm

from retriever.config import CorpusSettings, ModelSettings, Settings
from retriever.indexes.manifest import FORMAT_VERSION, Manifest
from retriever.model.embed import Encoder
from retriever.query.aliases import mine_abbreviations
from retriever.query.tokenize import TOKENIZER_VERSION
from retriever.reading.documents import Document, Passage, content_hash, corpus_hash
from retriever.reading.ingest import CLEANER_VERSION
from retriever.reading.segment import chunk_document, matching_text
from retriever.reading.text import NORMALIZER_VERSION

logger = logging.getLogger(__name__)

PARALLEL_TOKENIZING_FROM = 20_000
"""From this many passages BM25 tokenising runs on every available core (below, starting workers costs more)."""


def chunking(settings: CorpusSettings) -> dict[str, int]:
    """The chunking settings an index records."""
    return {
        "max_chars": settings.chunk_max_chars,
        "overlap_chars": settings.chunk_overlap_chars,
        "min_chars": settings.chunk_min_chars,
    }


def passage_chars(passages: Iterable[Passage]) -> int:
    """The passages' length in characters, all together (a manifest records it for the mean)."""
    return sum(passage.end - passage.start for passage in passages)


def tokenizing_processes(passages: int) -> int:
    """How many processes tokenise this many passages for BM25."""
    return len(os.sched_getaffinity(0)) if passages >= PARALLEL_TOKENIZING_FROM else 1


def corpus_aliases(documents: Iterable[Document]) -> list[tuple[str, str]]:
    """The (short form, full name) pairs the documents define (their short forms become words of the index's
    tokenizer)."""
    return sorted({pair for document in documents for pair in mine_abbreviations(document.text)})


def new_manifest(
    documents: Sequence[Document], passages: int, encoder: Encoder, settings: CorpusSettings, extra: dict, started: float
) -> Manifest:
    """The manifest of an index of ``documents`` built since ``started`` (a ``time.perf_counter`` reading)."""
    return Manifest(
        model=encoder.name,
        dim=encoder.dim,
        normalizer=NORMALIZER_VERSION,
        tokenizer=TOKENIZER_VERSION,
        cleaner=CLEANER_VERSION,
        chunking=chunking(settings),
        extra=extra,
        corpus_hash=corpus_hash(documents),
        documents=len(documents),
        passages=passages,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
    )


class StageClock:
    """Seconds spent in each named stage, each stage ending where the next begins."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now


def document_changes(previous: dict[str, str], documents: Sequence[Document]) -> dict[str, int]:
    """How many of ``documents`` are new, changed or unchanged against the previous content hashes, and how many
    previous documents are gone."""
    current = {document.doc_id: content_hash(document.text) for document in documents}
    return {
        "new": sum(doc_id not in previous for doc_id in current),
        "changed": sum(doc_id in previous and previous[doc_id] != digest for doc_id, digest in current.items()),
        "removed": sum(doc_id not in current for doc_id in previous),
        "unchanged": sum(previous.get(doc_id) == digest for doc_id, digest in current.items()),
    }


def embed_reusing(
    texts: list[str], known: dict[str, np.ndarray], encoder: Encoder, settings: ModelSettings, show_progress: bool
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, embedding only those not in ``known``; also returns how many were reused."""
    keys = [content_hash(text) for text in texts]
    missing = [i for i, key in enumerate(keys) if key not in known]
    if show_progress:
        logger.info("embedding %d new passages, reusing %d", len(missing), len(texts) - len(missing))
    fresh = encoder.encode_passages(
        [texts[i] for i in missing], batch_size=settings.embed_batch_size, show_progress=show_progress
    )
    vectors = np.empty((len(texts), encoder.dim), dtype=np.float32)
    for row, i in enumerate(missing):
        vectors[i] = fresh[row]
    for i, key in enumerate(keys):
        if key in known:
            vectors[i] = known[key]
    return vectors, len(texts) - len(missing)


def passages_of(
    documents: Iterable[Document], settings: CorpusSettings, show_progress: bool = False
) -> list[Passage]:
    return [
        passage
        for document in tqdm(documents, desc="chunking", unit="doc", disable=not show_progress)
        for passage in chunk_document(
            document, settings.chunk_max_chars, settings.chunk_overlap_chars, settings.chunk_min_chars
        )
    ]


def index_key(documents: Sequence[Document], settings: Settings) -> str:
    """A name for the index these documents and settings produce: it changes with anything the vectors,
    tokens or passages depend on, including how passages are cut and what context they carry, and with the
    index format, so that a cache written by an older version is never read."""
    parts = [
        settings.model,
        NORMALIZER_VERSION,
        TOKENIZER_VERSION,
        f"bm25 {settings.bm25_k1} {settings.bm25_b}",
        f"format {FORMAT_VERSION}",
    ]
    digest = hashlib.sha256("\n".join(parts).encode())
    for passage in passages_of(documents, settings):
        digest.update(f"\n{passage.passage_id}:{passage.start}:{passage.end}\n{matching_text(passage)}".encode())
    digest.update(corpus_hash(documents).encode())
    return digest.hexdigest()[:16]
