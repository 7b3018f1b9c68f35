"""Query embeddings through ONNX Runtime: the model's transformer exported once, int8-quantised, cached.

A single query is about 2.5 times faster than in torch fp32 (one thread per call). Tokenisation,
prompt, pooling and normalisation follow the sentence-transformers model, so the vectors stay
comparable with the passage vectors it computes. A current cache is opened with ONNX Runtime and the stored
tokenizer alone: a server that only embeds queries never loads torch. Making the cache takes the
model itself (``retriever.model.onnx_export``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime as ort

from retriever.model.query_tokenizer import QueryTokenizer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
FINGERPRINT_FILE = "fingerprint.json"
SERVING_FILE = "serving.json"
"""What encoding a query takes besides the graph and the tokenizer: pooling mode, prompt, token limit, dimension,
the tokenizer's special ids."""
OPSET = 17
QUANTISATION: dict[str, Any] = {"weight_type": "QInt8", "per_channel": True, "op_types_to_quantize": ["MatMul"]}
EMBEDDINGS = "int8 per row"
CACHE_FORMAT = 2  # 2: the tokenizer (as sentencepiece when it converts) and the serving settings are in the cache
KEPT_FP32 = "down-projections"
_WEIGHT_SUFFIXES = {".safetensors", ".bin"}


class UnsupportedModel(RuntimeError):
    """The model's pipeline has a step the ONNX query path does not reproduce."""


def cache_path(source: str, models_dir: Path) -> Path:
    """``<models_dir>/<model name>-<hash of its location>.onnx-int8``: one cache per source model."""
    location = str(Path(source).resolve()) if Path(source).is_dir() else source
    name = re.sub(r"[^\w.-]+", "-", Path(source).name) or "model"
    return models_dir / f"{name}-{hashlib.sha256(location.encode()).hexdigest()[:8]}.onnx-int8"


def fingerprint(source: str) -> dict[str, Any]:
    """What the cached export depends on, read from the model directory's files: any change triggers a rebuild."""
    root = Path(source)
    files = sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []
    configs = hashlib.sha256()
    for path in files:
        if path.suffix == ".json":
            configs.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    weights = [
        [str(path.relative_to(root)), path.stat().st_size, path.stat().st_mtime_ns]
        for path in files
        if path.suffix in _WEIGHT_SUFFIXES
    ]
    return {
        "format": CACHE_FORMAT,
        "source": str(root.resolve()) if root.is_dir() else source,
        "configs_sha256": configs.hexdigest(),
        "weights": weights,
        "onnx": importlib.metadata.version("onnx"),
        "onnxruntime": ort.__version__,
        "opset": OPSET,
        "quantisation": QUANTISATION | {"kept_fp32": KEPT_FP32, "embeddings": EMBEDDINGS},
    }


def read_fingerprint(cache: Path) -> Any:
    try:
        return json.loads((cache / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _session(path: Path, threads: int) -> ort.InferenceSession:
    """A CPU session on ``path`` running each call on ``threads`` threads, one operator at a time."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxQueryEncoder:
    """Embeds one query at a time with the int8 model; ``threads`` is per call (1 lets two calls use two cores)."""

    def __init__(self, cache: Path, threads: int = 1) -> None:
        serving = json.loads((cache / SERVING_FILE).read_text(encoding="utf-8"))
        self._pooling: str = serving["pooling"]
        self._prompt: str = serving["prompt"]
        self.dim = int(serving["dim"])
        self.tokenizer = QueryTokenizer(cache, int(serving["max_length"]), serving["prefix_ids"], serving["suffix_ids"])
        self.session = _session(cache / MODEL_FILE, threads)
        self.inputs = [node.name for node in self.session.get_inputs()]
        """The graph's input names, of ``input_ids``, ``attention_mask`` and ``token_type_ids``."""

    @classmethod
    def open(
        cls, source: str, models_dir: Path, load_model: Callable[[], SentenceTransformer], threads: int = 1
    ) -> OnnxQueryEncoder:
        """The cached int8 model of ``source``; when the cache is missing, stale or damaged, it is first exported
        from the model ``load_model`` gives."""
        cache = cache_path(source, models_dir)
        expected = fingerprint(source)
        if read_fingerprint(cache) == expected:
            try:
                return cls(cache, threads)
            except Exception as exc:  # noqa: BLE001 - onnxruntime's and tokenizers' load errors share no base class
                logger.warning("rebuilding the damaged ONNX cache %s (%s)", cache, exc)
        from retriever.model.onnx_export import build_cache

        build_cache(load_model(), cache, expected)
        return cls(cache, threads)

    def encode(self, text: str) -> np.ndarray:
        """The query's unit vector, float32, shape (dim,)."""
        ids = np.asarray([self.tokenizer.ids(self._prompt + text)], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        tokens = self.session.run(None, {name: feeds[name] for name in self.inputs})[0][0]
        vector = tokens[0] if self._pooling == "cls" else tokens.mean(axis=0)
        return (vector / np.linalg.norm(vector)).astype(np.float32)
