"""Corpus → index directory: chunk, embed, index lexically, save atomically."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retriever.aliases import mine_abbreviations
from retriever.config import Settings
from retriever.documents import Document, Passage
from retriever.embed import Encoder
from retriever.ingest import CLEANER_VERSION
from retriever.lexical import LexicalIndex
from retriever.segment import chunk_document
from retriever.store import (
    MANIFEST,
    IndexData,
    IndexLoadError,
    Manifest,
    corpus_hash,
    dense_index,
    load_passages_and_vectors,
    read_manifest,
    save_index,
)
from retriever.text import NORMALIZER_VERSION, join_lines
from retriever.tokenize import TOKENIZER_VERSION, add_words

logger = logging.getLogger(__name__)


def chunking(settings: Settings) -> dict[str, int]:
    """The chunking settings an index records."""
    return {
        "max_chars": settings.chunk_max_chars,
        "overlap_chars": settings.chunk_overlap_chars,
        "min_chars": settings.chunk_min_chars,
    }


def matching_text(passage: Passage) -> str:
    """What the encoder and BM25 see of a passage: its title and section, then its text."""
    context = " ".join(part for part in (passage.title, passage.section) if part)
    body = join_lines(passage.text)
    return f"{context}\n{body}" if context else body


def build_index(
    documents: Iterable[Document],
    out_dir: Path,
    settings: Settings,
    encoder: Encoder,
    show_progress: bool = True,
) -> Manifest:
    """Build the index of ``documents`` into ``out_dir`` (replacing it atomically) and return its manifest."""
    started = time.perf_counter()
    documents = list(documents)
    if not documents:
        raise ValueError("no documents to index")
    passages = passages_of(documents, settings, show_progress)
    texts = [matching_text(passage) for passage in passages]
    vectors, reused = _embed_reusing(texts, previous_vectors(out_dir, encoder), encoder, settings, show_progress)
    aliases = sorted({pair for document in documents for pair in mine_abbreviations(document.text)})
    add_words(short for short, _ in aliases)
    lexical = LexicalIndex.build(texts, k1=settings.bm25_k1, b=settings.bm25_b)
    manifest = Manifest(
        model=encoder.name,
        dim=encoder.dim,
        normalizer=NORMALIZER_VERSION,
        tokenizer=TOKENIZER_VERSION,
        cleaner=CLEANER_VERSION,
        chunking=chunking(settings),
        extra={
            "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
            "dense": "flat" if len(passages) <= settings.exact_search_up_to else "hnsw",
            "reused_vectors": reused,
        },
        corpus_hash=corpus_hash(documents),
        documents=len(documents),
        passages=len(passages),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
    )
    save_index(
        out_dir,
        IndexData(manifest, documents, passages, dense_index(vectors, settings.exact_search_up_to), lexical, aliases),
    )
    return manifest


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def previous_vectors(index_dir: Path, encoder: Encoder) -> dict[str, np.ndarray]:
    """Vectors of the index already at ``index_dir`` by passage text, when it was built with this encoder.

    A rebuild then embeds only passages whose text (with its context) is new; anything unusable
    (no index, another model, damaged files) simply means nothing is reused.
    """
    try:
        manifest = read_manifest(index_dir)
        if manifest.model != encoder.name or manifest.dim != encoder.dim:
            return {}
        passages, dense = load_passages_and_vectors(index_dir, manifest)
    except IndexLoadError:
        return {}
    vectors = dense.reconstruct_n(0, dense.ntotal)
    return {text_key(matching_text(p)): vectors[i] for i, p in enumerate(passages)}


def _embed_reusing(
    texts: list[str], known: dict[str, np.ndarray], encoder: Encoder, settings: Settings, show_progress: bool
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, embedding only those not in ``known``; also returns how many were reused."""
    keys = [text_key(text) for text in texts]
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
    tokens or passages depend on, including how passages are cut and what context they carry."""
    parts = [settings.model, NORMALIZER_VERSION, TOKENIZER_VERSION, f"bm25 {settings.bm25_k1} {settings.bm25_b}"]
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
