"""The one seam between the rest of the library and the index engines: open, write, find and cache an index.

``settings.milvus_uri`` chooses the engine: unset, the index is the directory ``settings.index_dir`` (FAISS, bm25s
and SQLite, :mod:`retriever.indexes.embedded`); set, it is the Milvus collection ``settings.milvus_collection`` there
(:mod:`retriever.indexes.milvus`). Each engine's modules are imported only when it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from retriever.config import Settings
from retriever.indexes.manifest import Manifest
from retriever.indexes.pipeline import index_key
from retriever.reading.documents import Document

if TYPE_CHECKING:
    from retriever.indexes.backend import SearchBackend
    from retriever.model.embed import Encoder


def index_location(settings: Settings) -> str:
    """Where ``settings`` keep the index, for messages."""
    if settings.milvus_uri:
        from retriever.indexes.milvus.collection import location

        return location(settings)
    return str(settings.index_dir)


def index_exists(settings: Settings) -> bool:
    """Whether a build has finished where ``settings`` point (it may still fail to load)."""
    if settings.milvus_uri:
        from retriever.indexes.milvus.collection import connect, live_generation

        return live_generation(connect(settings), settings.milvus_collection) is not None
    from retriever.errors import IndexLoadError
    from retriever.indexes.store import live_index

    try:
        live_index(settings.index_dir)
    except IndexLoadError:
        return False
    return True


def open_index(settings: Settings) -> SearchBackend:
    """The index ``settings`` point at, refused with :class:`~retriever.errors.IndexLoadError` before any heavy
    loading when it is missing, damaged, or built for other settings."""
    if settings.milvus_uri:
        from retriever.indexes.milvus.backend import MilvusBackend

        return MilvusBackend.open(settings)
    from retriever.indexes.embedded import EmbeddedBackend

    return EmbeddedBackend.open(settings.index_dir, settings)


def index_documents(settings: Settings) -> list[Document]:
    """Every document of the index ``settings`` point at: from an index directory's passage store alone, from a
    Milvus collection's documents."""
    if settings.milvus_uri:
        from retriever.indexes.milvus.backend import MilvusBackend

        return MilvusBackend.open(settings).all_documents()
    from retriever.indexes.store import stored_documents

    return stored_documents(settings.index_dir)


def write_index(
    documents: Sequence[Document], settings: Settings, encoder: Encoder, full: bool = False, show_progress: bool = True
) -> Manifest:
    """Index ``documents`` where ``settings`` point and return the manifest now served.

    Vectors of passages the index already holds are reused. A directory is rebuilt beside the old one and swapped
    in; a Milvus collection is updated in place unless ``full`` (or its settings changed), when a new generation
    is built and the alias moved to it.
    """
    if settings.milvus_uri:
        from retriever.indexes.milvus.writer import build_milvus

        return build_milvus(documents, settings, encoder, full=full, show_progress=show_progress)
    from retriever.indexes.build import build_index

    return build_index(documents, settings.index_dir, settings, encoder, show_progress=show_progress)


def cached_index(documents: Sequence[Document], settings: Settings, encoder: Encoder) -> Settings:
    """``settings`` pointed at an index of ``documents`` kept in the cache, built only if the cache has none for
    these documents and settings: a directory under ``cache_dir``, or with a Milvus URI, a collection named after
    the same key."""
    key = index_key(documents, settings)
    if settings.milvus_uri:
        from retriever.indexes.milvus.collection import dense_index

        index = dense_index(settings)
        key += "_" + "_".join([index["index_type"].lower(), *map(str, index["params"].values())])
        cached = settings.model_copy(update={"milvus_collection": f"cache_{key}"})
    else:
        cached = settings.model_copy(update={"index_dir": settings.cache_dir / "indexes" / key})
    if not index_exists(cached):
        write_index(documents, cached, encoder, full=True)
    return cached
