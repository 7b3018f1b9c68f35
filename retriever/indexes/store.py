"""The index directory: FAISS vectors, BM25, the passage store and a manifest, saved and loaded as one."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss

from retriever.errors import IndexLoadError
from retriever.indexes.dense import read_dense, write_dense
from retriever.indexes.generations import live_generation, new_staging, publish
from retriever.indexes.lexical import LexicalIndex
from retriever.indexes.manifest import FORMAT_VERSION, Manifest
from retriever.indexes.passage_store import PassageStore, write_store
from retriever.query.tokenize import Tokenizer
from retriever.reading.documents import Document, Passage

MANIFEST = "manifest.json"
DENSE_FILE = "dense.faiss"
LEXICAL_DIR = "bm25"
STORE_FILE = "passages.sqlite"
ALIASES_FILE = "aliases.json"


@dataclass
class NewIndex:
    """What a build writes into an index directory."""

    manifest: Manifest
    documents: Sequence[Document]
    passages: Sequence[Passage]
    dense: faiss.Index
    lexical: LexicalIndex
    aliases: list[tuple[str, str]] = field(default_factory=list)
    """(short form, full name) pairs mined from the corpus at build time."""


@dataclass
class IndexData:
    """A loaded index: documents and passages stay on disk in the store, the dense and BM25 arrays are mapped."""

    manifest: Manifest
    store: PassageStore
    dense: faiss.Index
    lexical: LexicalIndex
    aliases: list[tuple[str, str]] = field(default_factory=list)


def save_index(out_dir: Path, data: NewIndex, show_progress: bool = False) -> None:
    """Write the index as a new generation beside ``out_dir``, then make ``out_dir`` point at it in one step
    (:mod:`retriever.indexes.generations`): a reader sees the old index or the new one, and a build killed at any
    point leaves the old one serving."""
    out_dir = out_dir.absolute()
    staging = new_staging(out_dir)
    try:
        write_dense(data.dense, staging / DENSE_FILE)
        data.lexical.save(staging / LEXICAL_DIR)
        write_store(staging / STORE_FILE, data.documents, data.passages, show_progress)
        (staging / ALIASES_FILE).write_text(json.dumps(data.aliases, ensure_ascii=False), encoding="utf-8")
        (staging / MANIFEST).write_text(data.manifest.to_json(), encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(staging, out_dir)


def live_index(index_dir: Path) -> Path:
    """The generation ``index_dir`` serves now, to read every part of one index from."""
    live = live_generation(index_dir)
    if live is None or not (live / MANIFEST).is_file():
        raise IndexLoadError(
            f"no index at {index_dir} (missing {MANIFEST}); build one with `retriever build --index {index_dir}`"
        )
    return live


def read_manifest(index_dir: Path) -> Manifest:
    path = live_index(index_dir) / MANIFEST
    try:
        manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise IndexLoadError(f"damaged manifest {path}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(
            f"index {index_dir} has format {manifest.format_version}, this version reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


_DAMAGE = (OSError, RuntimeError, ValueError, TypeError, sqlite3.Error)


def load_passages_and_vectors(index_dir: Path, manifest: Manifest) -> tuple[PassageStore, faiss.Index]:
    """The passage store and the (memory-mapped) dense index of one generation directory (see :func:`live_index`),
    checked against each other and the manifest."""
    try:
        dense = read_dense(index_dir / DENSE_FILE)
        store = PassageStore(index_dir / STORE_FILE)
    except _DAMAGE as exc:
        raise IndexLoadError(f"damaged index {index_dir}: {exc}") from exc
    if dense.ntotal != len(store) or dense.d != manifest.dim or len(store) != manifest.passages:
        raise IndexLoadError(
            f"damaged index {index_dir}: {dense.ntotal} vectors of dimension {dense.d} for "
            f"{len(store)} passages, manifest says {manifest.passages} of dimension {manifest.dim}"
        )
    return store, dense


def stored_documents(index_dir: Path) -> list[Document]:
    """Every document of the index ``index_dir`` serves, read from its passage store alone (nothing of its search
    parts is loaded)."""
    root = live_index(index_dir)
    try:
        return PassageStore(root / STORE_FILE).all_documents()
    except _DAMAGE as exc:
        raise IndexLoadError(f"damaged index {index_dir}: {exc}") from exc


def load_index(index_dir: Path) -> IndexData:
    """Load every part of an index directory, checking the parts agree with the manifest. Nothing is read into
    RAM in full: the dense and BM25 arrays are memory-mapped and passages are fetched from the store per query.
    Every part comes from the generation ``index_dir`` serves when this starts."""
    root = live_index(index_dir)
    manifest = read_manifest(root)
    store, dense = load_passages_and_vectors(root, manifest)
    try:
        aliases = [(short, full) for short, full in json.loads((root / ALIASES_FILE).read_text(encoding="utf-8"))]
        lexical = LexicalIndex.load(root / LEXICAL_DIR, Tokenizer.for_aliases(aliases), mmap=True)
    except _DAMAGE as exc:
        raise IndexLoadError(f"damaged index {index_dir}: {exc}") from exc
    return IndexData(manifest, store, dense, lexical, aliases)
