"""The index directory: FAISS vectors, BM25, passages and a manifest, saved and loaded as one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from retriever.documents import Document, Passage
from retriever.lexical import LexicalIndex

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
DENSE_FILE = "dense.faiss"
LEXICAL_DIR = "bm25"
DOCUMENTS_FILE = "documents.jsonl"
PASSAGES_FILE = "passages.jsonl"
ALIASES_FILE = "aliases.json"


class IndexLoadError(RuntimeError):
    """An index directory that is missing, damaged, or built for other settings."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built from and with; loading checks it before trusting the files."""

    model: str
    dim: int
    normalizer: str
    tokenizer: str
    cleaner: str
    chunking: dict[str, int]
    corpus_hash: str
    documents: int
    passages: int
    built_at: str
    build_seconds: float
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


@dataclass
class IndexData:
    manifest: Manifest
    documents: list[Document]
    passages: list[Passage]
    dense: faiss.Index
    lexical: LexicalIndex
    aliases: list[tuple[str, str]] = field(default_factory=list)
    """(short form, full name) pairs mined from the corpus at build time."""


def corpus_hash(documents: Iterable[Document]) -> str:
    """A content hash of the corpus: changes when any document id or text changes."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.doc_id):
        digest.update(document.doc_id.encode())
        digest.update(hashlib.sha256(document.text.encode()).digest())
    return digest.hexdigest()


HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256


def dense_index(vectors: np.ndarray, exact_up_to: int = 200_000) -> faiss.Index:
    """Inner-product search over unit vectors (cosine similarity): exact while the corpus is small enough
    for a linear scan, an HNSW graph beyond ``exact_up_to`` passages (the vectors stay stored in full)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) <= exact_up_to:
        index = faiss.IndexFlatIP(vectors.shape[1])
    else:
        index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def save_index(out_dir: Path, data: IndexData) -> None:
    """Write the index into a sibling temporary directory, then swap it into ``out_dir``.

    A reader never sees a half-written index: either the old directory or the new one.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        faiss.write_index(data.dense, str(staging / DENSE_FILE))
        data.lexical.save(staging / LEXICAL_DIR)
        _write_jsonl(staging / DOCUMENTS_FILE, (d.to_dict() for d in data.documents))
        _write_jsonl(staging / PASSAGES_FILE, (p.to_dict() for p in data.passages))
        (staging / ALIASES_FILE).write_text(json.dumps(data.aliases, ensure_ascii=False), encoding="utf-8")
        (staging / MANIFEST).write_text(data.manifest.to_json(), encoding="utf-8")
        retired = out_dir.parent / f".{out_dir.name}.retired-{os.getpid()}"
        if out_dir.exists():
            out_dir.rename(retired)
        staging.rename(out_dir)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_manifest(index_dir: Path) -> Manifest:
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"no index at {index_dir} (missing {MANIFEST}); build one with `make index`")
    try:
        manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise IndexLoadError(f"damaged manifest {path}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(
            f"index {index_dir} has format {manifest.format_version}, this version reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


def check_compatible(manifest: Manifest, index_dir: Path, model: str, normalizer: str, tokenizer: str) -> None:
    """Refuse an index whose vectors or tokens would not match what queries produce."""
    if manifest.model != model:
        raise IndexLoadError(
            f"index {index_dir} was built with model {manifest.model!r} but the query encoder is {model!r}: "
            f"rebuild the index or set RETRIEVER_MODEL={manifest.model}"
        )
    if manifest.normalizer != normalizer or manifest.tokenizer != tokenizer:
        raise IndexLoadError(
            f"index {index_dir} was built with text normaliser {manifest.normalizer}/{manifest.tokenizer}, "
            f"this version uses {normalizer}/{tokenizer}: rebuild the index"
        )


_DAMAGE = (OSError, RuntimeError, ValueError, TypeError)


def load_passages_and_vectors(index_dir: Path, manifest: Manifest) -> tuple[list[Passage], faiss.Index]:
    """The passages and their dense index, checked against each other and the manifest."""
    try:
        dense = faiss.read_index(str(index_dir / DENSE_FILE))
        passages = [Passage(**record) for record in _read_jsonl(index_dir / PASSAGES_FILE)]
    except _DAMAGE as exc:
        raise IndexLoadError(f"damaged index {index_dir}: {exc}") from exc
    if isinstance(dense, faiss.IndexHNSW):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    if dense.ntotal != len(passages) or dense.d != manifest.dim or len(passages) != manifest.passages:
        raise IndexLoadError(
            f"damaged index {index_dir}: {dense.ntotal} vectors of dimension {dense.d} for "
            f"{len(passages)} passages, manifest says {manifest.passages} of dimension {manifest.dim}"
        )
    return passages, dense


def load_index(index_dir: Path) -> IndexData:
    """Load every part of an index directory, checking the parts agree with the manifest."""
    manifest = read_manifest(index_dir)
    passages, dense = load_passages_and_vectors(index_dir, manifest)
    try:
        lexical = LexicalIndex.load(index_dir / LEXICAL_DIR)
        documents = [Document(**record) for record in _read_jsonl(index_dir / DOCUMENTS_FILE)]
        aliases = [(short, full) for short, full in json.loads((index_dir / ALIASES_FILE).read_text(encoding="utf-8"))]
    except _DAMAGE as exc:
        raise IndexLoadError(f"damaged index {index_dir}: {exc}") from exc
    return IndexData(manifest, documents, passages, dense, lexical, aliases)
