"""Corpus → index directory: chunk, embed, index lexically, save atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retriever.aliases import mine_abbreviations
from retriever.config import Settings
from retriever.dense import build_dense, describe
from retriever.documents import Document, Passage
from retriever.embed import Encoder
from retriever.ingest import CLEANER_VERSION
from retriever.lexical import LexicalIndex
from retriever.manifest import FORMAT_VERSION, IndexLoadError, Manifest
from retriever.passage_store import content_hash
from retriever.segment import chunk_document, matching_text
from retriever.store import MANIFEST, NewIndex, corpus_hash, load_passages_and_vectors, read_manifest, save_index
from retriever.text import NORMALIZER_VERSION
from retriever.tokenize import TOKENIZER_VERSION, Tokenizer

logger = logging.getLogger(__name__)

PARALLEL_TOKENIZING_FROM = 20_000
"""From this many passages BM25 tokenising runs on every available core (below, starting workers costs more)."""


def chunking(settings: Settings) -> dict[str, int]:
    """The chunking settings an index records."""
    return {
        "max_chars": settings.chunk_max_chars,
        "overlap_chars": settings.chunk_overlap_chars,
        "min_chars": settings.chunk_min_chars,
    }


def build_index(
    documents: Iterable[Document],
    out_dir: Path,
    settings: Settings,
    encoder: Encoder,
    show_progress: bool = True,
) -> Manifest:
    """Build the index of ``documents`` into ``out_dir`` (replacing it atomically) and return its manifest.

    When ``out_dir`` already holds an index, only passages whose text (with its context) is new are embedded;
    the manifest records how the documents changed and how long each stage took.
    """
    started = time.perf_counter()
    clock = StageClock()
    documents = list(documents)
    if not documents:
        raise ValueError("no documents to index")
    previous = previous_index(out_dir, encoder)
    changes = document_changes(previous.document_hashes, documents)
    logger.info("documents: %(new)d new, %(changed)d changed, %(removed)d removed, %(unchanged)d unchanged", changes)
    clock.lap("previous index")
    passages = passages_of(documents, settings, show_progress)
    texts = [matching_text(passage) for passage in passages]
    clock.lap("chunk")
    vectors, reused = embed_reusing(texts, previous.vectors, encoder, settings, show_progress)
    del previous  # its vectors are a full copy of the old dense index
    clock.lap("embed")
    aliases = corpus_aliases(documents)
    clock.lap("aliases")
    lexical = LexicalIndex.build(
        texts,
        Tokenizer.for_aliases(aliases),
        k1=settings.bm25_k1,
        b=settings.bm25_b,
        processes=tokenizing_processes(len(texts)),
        show_progress=show_progress,
    )
    clock.lap("bm25")
    dense = build_dense(vectors, settings.exact_search_up_to, show_progress)
    clock.lap("dense")
    extra = {
        "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
        "dense": describe(dense),
        "reused_vectors": reused,
        "passage_chars": passage_chars(passages),
        "document_changes": changes,
        "stage_seconds": clock.seconds,
    }
    manifest = new_manifest(documents, len(passages), encoder, settings, extra, started)
    save_index(out_dir, NewIndex(manifest, documents, passages, dense, lexical, aliases), show_progress)
    return manifest


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
    documents: Sequence[Document], passages: int, encoder: Encoder, settings: Settings, extra: dict, started: float
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


@dataclass(frozen=True)
class PreviousIndex:
    """What a rebuild takes from the index it replaces: its vectors by passage text key (only when built with the
    same encoder) and its documents' content hashes by id."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    document_hashes: dict[str, str] = field(default_factory=dict)


def previous_index(index_dir: Path, encoder: Encoder) -> PreviousIndex:
    """The reusable parts of the index already at ``index_dir``: anything unusable (no index, damaged files)
    means nothing is reused, and another model means no vector is."""
    try:
        manifest = read_manifest(index_dir)
        store, dense = load_passages_and_vectors(index_dir, manifest)
        hashes = store.document_hashes()
        if manifest.model != encoder.name or manifest.dim != encoder.dim:
            return PreviousIndex(document_hashes=hashes)
        vectors = dense.reconstruct_n(0, dense.ntotal)
        return PreviousIndex({content_hash(matching_text(p)): vectors[i] for i, p in enumerate(store)}, hashes)
    except (IndexLoadError, sqlite3.Error):
        return PreviousIndex()


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
    texts: list[str], known: dict[str, np.ndarray], encoder: Encoder, settings: Settings, show_progress: bool
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


def passages_of(documents: Iterable[Document], settings: Settings, show_progress: bool = False) -> list[Passage]:
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


def cached_index(documents: Sequence[Document], settings: Settings, encoder: Encoder) -> Path:
    """An index of ``documents`` under the cache directory, built only if the cache has none for these settings."""
    out_dir = settings.cache_dir / "indexes" / index_key(documents, settings)
    if not (out_dir / MANIFEST).is_file():
        build_index(documents, out_dir, settings, encoder)
    return out_dir
