"""Build and update a Milvus index.

A full build writes a new generation (passages and documents collections), then moves the alias to it in one step:
servers reading the old generation keep answering from it until they reload, and every other generation (the one
before the old, and any a killed build left) is dropped. An update changes the live generation in place: passages of
new and changed documents are upserted (by a key derived from the passage id), passages no longer produced and
removed documents are deleted, only new passage text is embedded, and the BM25 document frequencies of the terms
involved are adjusted, with the live passage count beside them.

An update first records the documents it is about to touch (a journal on the generation) and clears that record
last. A run that finds the record knows an update died part-way: it treats those documents as changed, so their
passages and documents are written and pruned again, and it counts every term's document frequency afresh from
the stored passages, since the interrupted adjustment may have been applied in part.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pymilvus import MilvusClient
from tqdm import tqdm

from retriever.config import Settings
from retriever.errors import CorpusError, IndexLoadError
from retriever.indexes.manifest import Manifest
from retriever.indexes.milvus.bm25 import PASSAGES_ROW, document_frequencies, passage_weights
from retriever.indexes.milvus.collection import (
    PASSAGE_FIELDS,
    connect,
    create_generation,
    dense_index,
    document_rows,
    documents_collection,
    drop_generation,
    generation_collections,
    generations,
    iterate,
    live_generation,
    load_generation,
    new_generation_name,
    passage_key,
    passage_of,
    passage_row,
    point_alias,
    read_journal,
    read_properties,
    rows_of_documents,
    term_rows,
    terms_collection,
    write_journal,
    write_properties,
)
from retriever.indexes.pipeline import (
    StageClock,
    chunking,
    corpus_aliases,
    document_changes,
    embed_reusing,
    new_manifest,
    passage_chars,
    passages_of,
    tokenizing_processes,
)
from retriever.model.embed import Encoder
from retriever.query.tokenize import TOKENIZER_VERSION, Tokenizer
from retriever.reading.documents import Document, Passage, content_hash
from retriever.reading.ingest import CLEANER_VERSION
from retriever.reading.segment import matching_text
from retriever.reading.text import NORMALIZER_VERSION

logger = logging.getLogger(__name__)

INSERT_BATCH = 500
"""Rows per insert request: well under Milvus's default 64 MB message limit for 1024-dimensional vectors."""


@dataclass(frozen=True)
class LiveIndex:
    """The generation the alias points at, with what a build needs of it."""

    collection: str
    manifest: Manifest
    document_hashes: dict[str, str]
    interrupted: list[str] = field(default_factory=list)
    """Documents of an earlier update that did not finish."""


def build_milvus(
    documents: Sequence[Document], settings: Settings, encoder: Encoder, full: bool = False, show_progress: bool = True
) -> Manifest:
    """Index ``documents`` into the configured Milvus collection and return the manifest now served.

    Updates the live generation in place when it was built with the same model and settings, unless ``full``;
    otherwise builds a new generation and moves the alias to it.
    """
    if not documents:
        raise CorpusError("no documents to index")
    client = connect(settings)
    live = _live_index(client, settings)
    reason = _rebuild_reason(live, encoder, settings)
    if full or reason:
        logger.info("building a new generation of %s: %s", settings.milvus_collection, reason or "full build asked")
        return _full_build(client, documents, settings, encoder, live, show_progress)
    return _update(client, live, documents, settings, encoder, show_progress)


def _live_index(client: MilvusClient, settings: Settings) -> LiveIndex | None:
    collection = live_generation(client, settings.milvus_collection)
    if collection is None:
        return None
    try:
        manifest, _ = read_properties(client, collection, collection)
    except IndexLoadError as exc:
        logger.warning("ignoring the live generation: %s", exc)
        return None
    load_generation(client, collection)
    interrupted = read_journal(client, collection)
    if interrupted:
        logger.warning("an update of %s did not finish: completing it (%d documents)", collection, len(interrupted))
    unfinished = set(interrupted)
    hashes = {
        row["doc_id"]: row["content_hash"]
        for row in iterate(client, documents_collection(collection), "key", ["doc_id", "content_hash"], "part == 0")
        if row["doc_id"] not in unfinished
    }
    return LiveIndex(collection, manifest, hashes, interrupted)


def _rebuild_reason(live: LiveIndex | None, encoder: Encoder, settings: Settings) -> str | None:
    """Why the live generation cannot be updated in place (``None`` when it can)."""
    if live is None:
        return "no live generation"
    built = live.manifest
    current = {
        "model": encoder.name,
        "dim": encoder.dim,
        "normalizer": NORMALIZER_VERSION,
        "tokenizer": TOKENIZER_VERSION,
        "cleaner": CLEANER_VERSION,
    }
    for name, value in current.items():
        if getattr(built, name) != value:
            return f"{name} changed ({getattr(built, name)} → {value})"
    if built.chunking != chunking(settings):
        return "chunking settings changed"
    bm25 = built.extra.get("bm25", {})
    if (bm25.get("k1"), bm25.get("b")) != (settings.bm25_k1, settings.bm25_b):
        return "BM25 parameters changed"
    if built.extra.get("dense_index") != dense_index(settings):
        return "dense index parameters changed"
    return None


def _full_build(
    client: MilvusClient,
    documents: Sequence[Document],
    settings: Settings,
    encoder: Encoder,
    live: LiveIndex | None,
    show_progress: bool,
) -> Manifest:
    started, clock = time.perf_counter(), StageClock()
    hashes = live.document_hashes if live else {}
    changes = document_changes(hashes, documents)
    # Vectors are reused only from the same model, as for an index directory (``build.previous_index``).
    reusable = live is not None and (live.manifest.model, live.manifest.dim) == (encoder.name, encoder.dim)
    known = _vectors_by_text(iterate(client, live.collection, "pid", [*PASSAGE_FIELDS, "vector"])) if reusable else {}
    clock.lap("previous index")
    passages = passages_of(documents, settings, show_progress)
    texts = [matching_text(passage) for passage in passages]
    vectors, reused = embed_reusing(texts, known, encoder, settings, show_progress)
    del known
    clock.lap("embed")
    aliases = corpus_aliases(documents)
    clock.lap("aliases")
    tokens = _tokens(texts, Tokenizer.for_aliases(aliases))
    avgdl = sum(map(len, tokens)) / max(len(tokens), 1)
    clock.lap("tokenise")
    name = new_generation_name(settings.milvus_collection)
    create_generation(client, name, encoder.dim, settings)
    try:
        _write(client, name, documents, passages, tokens, vectors, settings, avgdl, show_progress)
        frequencies = {**document_frequencies(tokens), PASSAGES_ROW: len(passages)}
        _insert(client, terms_collection(name), term_rows(frequencies))
        _flush(client, name)
        clock.lap("insert")
        extra = _extra(settings, name, avgdl, reused, changes, clock, passage_chars(passages))
        manifest = new_manifest(documents, len(passages), encoder, settings, extra, started)
        write_properties(client, name, manifest, aliases)
        point_alias(client, settings.milvus_collection, name)
    except BaseException:
        drop_generation(client, name)
        raise
    kept = {name, live.collection if live else name}
    for other in generations(client, settings.milvus_collection):
        if other not in kept:
            drop_generation(client, other)
    return manifest


def _update(
    client: MilvusClient,
    live: LiveIndex,
    documents: Sequence[Document],
    settings: Settings,
    encoder: Encoder,
    show_progress: bool,
) -> Manifest:
    started, clock = time.perf_counter(), StageClock()
    changes = document_changes(live.document_hashes, documents)
    logger.info("documents: %(new)d new, %(changed)d changed, %(removed)d removed, %(unchanged)d unchanged", changes)
    current = {document.doc_id for document in documents}
    touched = [d for d in documents if live.document_hashes.get(d.doc_id) != content_hash(d.text)]
    removed = [doc_id for doc_id in live.document_hashes if doc_id not in current]
    affected = sorted({d.doc_id for d in touched} | set(removed) | set(live.interrupted))
    write_journal(client, live.collection, affected)
    fields = [*PASSAGE_FIELDS, "bm25", "vector"]
    old = list(rows_of_documents(client, live.collection, "pid", fields, affected))
    known = _vectors_by_text(old)
    clock.lap("previous index")
    aliases = corpus_aliases(documents)
    passages = passages_of(touched, settings, show_progress)
    texts = [matching_text(passage) for passage in passages]
    vectors, reused = embed_reusing(texts, known, encoder, settings, show_progress)
    clock.lap("embed")
    avgdl = live.manifest.extra["bm25"]["avgdl"]
    tokens = _tokens(texts, Tokenizer.for_aliases(aliases))
    _write(client, live.collection, touched, passages, tokens, vectors, settings, avgdl, show_progress, upsert=True)
    kept = {passage_key(passage.passage_id) for passage in passages}
    stale = [row["pid"] for row in old if row["pid"] not in kept]
    if stale:
        client.delete(live.collection, ids=stale)
    _delete_stale_document_parts(client, documents_collection(live.collection), touched, affected)
    chars = live.manifest.extra.get("passage_chars")
    if live.interrupted:
        chars = _recount_frequencies(client, live.collection)
    else:
        _adjust_frequencies(client, terms_collection(live.collection), tokens, [row["bm25"] for row in old])
        if chars is not None:
            chars += passage_chars(passages) - sum(row["end"] - row["start"] for row in old)
    _flush(client, live.collection)
    total = client.query(live.collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
    _insert(client, terms_collection(live.collection), term_rows({PASSAGES_ROW: total}), upsert=True)
    clock.lap("upsert")
    extra = _extra(settings, live.collection, avgdl, reused, changes, clock, chars)
    manifest = new_manifest(documents, total, encoder, settings, extra, started)
    write_properties(client, live.collection, manifest, aliases)
    write_journal(client, live.collection, [])
    return manifest


def _recount_frequencies(client: MilvusClient, collection: str) -> int:
    """Set every term's document frequency from the stored passages (after an update died part-way); returns the
    passages' length in characters, all together."""
    counts: Counter[int] = Counter()
    chars = 0
    for row in iterate(client, collection, "pid", ["bm25", "start", "end"]):
        counts.update(row["bm25"].keys())
        chars += row["end"] - row["start"]
    terms = terms_collection(collection)
    gone = [
        row["dimension"]
        for row in iterate(client, terms, "dimension", [])
        if row["dimension"] not in counts and row["dimension"] != PASSAGES_ROW
    ]
    _insert(client, terms, term_rows(counts), upsert=True)
    if gone:
        client.delete(terms, ids=gone)
    return chars


def _adjust_frequencies(
    client: MilvusClient, collection: str, added: Iterable[Sequence[str]], removed: Iterable[dict[int, float]]
) -> None:
    """Count the added passages' terms in and the removed passages' terms out of the document frequencies."""
    delta = Counter(document_frequencies(added))
    delta.subtract(Counter(dimension for weights in removed for dimension in weights))
    changed = [dimension for dimension, change in delta.items() if change]
    if not changed:
        return
    current = {row["dimension"]: row["df"] for row in client.get(collection, ids=changed, output_fields=["df"])}
    updated = {dimension: current.get(dimension, 0) + delta[dimension] for dimension in changed}
    _insert(client, collection, term_rows({d: df for d, df in updated.items() if df > 0}), upsert=True)
    gone = [dimension for dimension, df in updated.items() if df <= 0]
    if gone:
        client.delete(collection, ids=gone)


def _extra(
    settings: Settings,
    collection: str,
    avgdl: float,
    reused: int,
    changes: dict[str, int],
    clock: StageClock,
    chars: int | None,
) -> dict:
    return {
        "backend": "milvus",
        "collection": collection,
        "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b, "avgdl": avgdl},
        "dense_index": dense_index(settings),
        "reused_vectors": reused,
        "passage_chars": chars,
        "document_changes": changes,
        "stage_seconds": clock.seconds,
    }


def _vectors_by_text(rows: Iterable[dict]) -> dict[str, np.ndarray]:
    """The stored vectors of passage rows, by the hash of their matching text (what ``embed_reusing`` looks up)."""
    return {content_hash(matching_text(passage_of(row))): np.asarray(row["vector"], np.float32) for row in rows}


def _tokens(texts: Sequence[str], tokenizer: Tokenizer) -> list[list[str]]:
    """The BM25 tokens of each passage's matching text, on every core for a large corpus."""
    return list(tokenizer.tokenize_many(texts, tokenizing_processes(len(texts))))


def _write(
    client: MilvusClient,
    collection: str,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    tokens: Sequence[Sequence[str]],
    vectors: np.ndarray,
    settings: Settings,
    avgdl: float,
    show_progress: bool,
    upsert: bool = False,
) -> None:
    """Insert (or upsert) the passages with their vectors and BM25 weights, then the documents."""
    by_id = {document.doc_id: document for document in documents}
    with tqdm(total=len(passages), desc="milvus passages", unit="passage", disable=not show_progress) as progress:
        for first in range(0, len(passages), INSERT_BATCH):
            batch = range(first, min(first + INSERT_BATCH, len(passages)))
            rows = [
                passage_row(
                    passages[i],
                    by_id[passages[i].doc_id],
                    len(tokens[i]),
                    passage_weights(tokens[i], settings.bm25_k1, settings.bm25_b, avgdl),
                    vectors[i],
                )
                for i in batch
            ]
            _insert(client, collection, rows, upsert)
            progress.update(len(rows))
    rows = [row for document in documents for row in document_rows(document, content_hash(document.text))]
    _insert(client, documents_collection(collection), rows, upsert)


def _insert(client: MilvusClient, collection: str, rows: list[dict], upsert: bool = False) -> None:
    send = client.upsert if upsert else client.insert
    for first in range(0, len(rows), INSERT_BATCH):
        send(collection, rows[first : first + INSERT_BATCH])


def _delete_stale_document_parts(
    client: MilvusClient, collection: str, touched: Sequence[Document], affected: list[str]
) -> None:
    """Delete the parts of the ``affected`` documents that the ``touched`` ones (as now written) do not have."""
    kept = {row["key"] for document in touched for row in document_rows(document, "")}
    stale = [row["key"] for row in rows_of_documents(client, collection, "key", [], affected) if row["key"] not in kept]
    if stale:
        client.delete(collection, ids=stale)


def _flush(client: MilvusClient, collection: str) -> None:
    """Seal what was written, so that searches use built indexes rather than scanning fresh rows."""
    for name in generation_collections(collection):
        client.flush(name)


