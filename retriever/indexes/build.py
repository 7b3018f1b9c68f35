"""Corpus → index directory: the shared build steps, then FAISS, BM25 and the passage store, saved atomically."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retriever.config import Settings
from retriever.errors import CorpusError, IndexLoadError
from retriever.indexes.dense import build_dense, describe
from retriever.indexes.lexical import LexicalIndex
from retriever.indexes.manifest import Manifest
from retriever.indexes.pipeline import (
    StageClock,
    corpus_aliases,
    document_changes,
    embed_reusing,
    new_manifest,
    passage_chars,
    passages_of,
    tokenizing_processes,
)
from retriever.indexes.store import NewIndex, live_index, load_passages_and_vectors, read_manifest, save_index
from retriever.model.embed import Encoder
from retriever.query.tokenize import Tokenizer
from retriever.reading.documents import Document, content_hash
from retriever.reading.segment import matching_text

logger = logging.getLogger(__name__)


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
        raise CorpusError("no documents to index")
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
        root = live_index(index_dir)
        manifest = read_manifest(root)
        store, dense = load_passages_and_vectors(root, manifest)
        hashes = store.document_hashes()
        if manifest.model != encoder.name or manifest.dim != encoder.dim:
            return PreviousIndex(document_hashes=hashes)
        vectors = dense.reconstruct_n(0, dense.ntotal)
        return PreviousIndex({content_hash(matching_text(p)): vectors[i] for i, p in enumerate(store)}, hashes)
    except (IndexLoadError, sqlite3.Error):
        return PreviousIndex()
