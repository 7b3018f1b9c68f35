"""Making the ONNX int8 query encoder's cache from the sentence-transformers model (needs torch; done once per
model). ``retriever.model.onnx_query`` reads the cache."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

from retriever.model.onnx_query import (
    FINGERPRINT_FILE,
    MODEL_FILE,
    OPSET,
    QUANTISATION,
    SERVING_FILE,
    UnsupportedModel,
    read_fingerprint,
)
from retriever.model.query_tokenizer import save_query_tokenizer

logger = logging.getLogger(__name__)

POOLING_MODES = ("mean", "cls")
_MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_STALE_STAGING_SECONDS = 3600


def pooling_mode(model: SentenceTransformer) -> str:
    """The Pooling mode of a Transformer → Pooling [→ Normalize] pipeline, if the ONNX path supports it."""
    modules = list(model)
    shape_ok = (
        len(modules) in (2, 3)
        and isinstance(modules[0], Transformer)
        and isinstance(modules[1], Pooling)
        and all(isinstance(module, Normalize) for module in modules[2:])
    )
    if not shape_ok:
        steps = " → ".join(type(module).__name__ for module in modules)
        raise UnsupportedModel(f"the ONNX query path needs Transformer → Pooling [→ Normalize], not {steps}")
    pooling: Pooling = modules[1]
    if pooling.pooling_mode not in POOLING_MODES:
        raise UnsupportedModel(f"pooling {pooling.pooling_mode!r} is not supported (only {', '.join(POOLING_MODES)})")
    if not pooling.include_prompt and query_prompt(model):
        raise UnsupportedModel("pooling that leaves out the prompt tokens is not supported")
    return str(pooling.pooling_mode)


def query_prompt(model: SentenceTransformer) -> str:
    """The text sentence-transformers puts before a query (the "query" prompt, else the default one)."""
    name = "query" if "query" in model.prompts else model.default_prompt_name
    return model.prompts.get(name, "") if name else ""


class _TokenEmbeddings(torch.nn.Module):
    """The transformer alone, with positional inputs so that torch.onnx.export can trace it."""

    def __init__(self, model: torch.nn.Module, input_names: list[str]) -> None:
        super().__init__()
        self.model = model
        self.input_names = input_names

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(**dict(zip(self.input_names, inputs))).last_hidden_state


def down_projections(path: Path) -> list[str]:
    """The MatMuls whose weight narrows (more rows than columns): the feed-forward down-projections.

    Their input, the GELU output, has outliers that per-tensor int8 activations flatten; keeping
    these 12 of 72 MatMuls in fp32 lifts the worst query cosine from 0.991 to 0.997 and keeps
    CMRC 2018 hit@1 level with torch (all quantised: 4 of 1,002 questions lost), for about 2 ms
    more a query.
    """
    graph = onnx.load(str(path), load_external_data=False).graph
    shapes = {tensor.name: tuple(tensor.dims) for tensor in graph.initializer}
    narrowing = {name for name, dims in shapes.items() if len(dims) == 2 and dims[0] > dims[1]}
    return [node.name for node in graph.node if node.op_type == "MatMul" and node.input[1] in narrowing]


def int8_embedding_rows(path: Path) -> None:
    """Store the largest Gather table (the token embeddings: 250k × 384 floats, most of the model) as int8 with one
    scale per row, in place: the looked-up rows are cast back and scaled. Per row, not per tensor, because a
    shared scale costs English queries 1 point of XQuAD hit@1; per row the vectors do not move measurably, and the
    session needs about 250 MiB less."""
    model = onnx.load(str(path))
    graph = model.graph
    tables = {tensor.name: tensor for tensor in graph.initializer if len(tensor.dims) == 2}
    gathers = [node for node in graph.node if node.op_type == "Gather" and node.input[0] in tables]
    node = max(gathers, key=lambda gather: np.prod(tables[gather.input[0]].dims))
    table = numpy_helper.to_array(tables[node.input[0]]).astype(np.float32)
    scales = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12) / 127.0
    name, ids, out = node.input[0], node.input[1], node.output[0]
    graph.initializer.remove(tables[name])
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.round(table / scales).astype(np.int8), f"{name}_int8"),
            numpy_helper.from_array(scales.astype(np.float32), f"{name}_scale"),
        ]
    )
    position = list(graph.node).index(node)
    graph.node.remove(node)
    replacement = [
        helper.make_node("Gather", [f"{name}_int8", ids], [f"{out}_int8"], name=f"{node.name}_int8"),
        helper.make_node("Cast", [f"{out}_int8"], [f"{out}_float"], to=onnx.TensorProto.FLOAT),
        helper.make_node("Gather", [f"{name}_scale", ids], [f"{out}_scale"], name=f"{node.name}_scale"),
        helper.make_node("Mul", [f"{out}_float", f"{out}_scale"], [out]),
    ]
    for offset, new_node in enumerate(replacement):
        graph.node.insert(position + offset, new_node)
    onnx.save(model, str(path))


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """ONNX Runtime's quantiser logs on the root logger: a line per skipped tensor at INFO (about 60 for this
    model) and advice to pre-process at WARNING, none of it actionable for someone starting a server."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def export_int8(model: SentenceTransformer, out: Path) -> None:
    """Export the transformer (dynamic batch and sequence axes), store its token embeddings in int8 by row, and
    quantise its weight MatMuls to int8, all but the down-projections."""
    input_names = [name for name in model.tokenizer.model_input_names if name in _MODEL_INPUTS]
    # two lengths, so the traced graph keeps the attention-mask path that padding needs
    sample = model.tokenizer(["query: a", "query: a longer sample sentence"], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "sequence"}
    fp32 = out.with_name("fp32.onnx")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
        torch.onnx.export(
            _TokenEmbeddings(model[0].auto_model, input_names).eval(),
            tuple(sample[name] for name in input_names),
            str(fp32),
            dynamo=False,
            input_names=input_names,
            output_names=["token_embeddings"],
            dynamic_axes={name: axes for name in [*input_names, "token_embeddings"]},
            opset_version=OPSET,
        )
    int8_embedding_rows(fp32)
    with _quiet_root_logger():
        quantize_dynamic(
            fp32,
            out,
            **{**QUANTISATION, "weight_type": QuantType[QUANTISATION["weight_type"]]},
            nodes_to_exclude=down_projections(fp32),
        )
    fp32.unlink()


def _remove_stale_staging(cache: Path) -> None:
    """Staging directories left by a killed export (a live one is younger than an hour)."""
    for staging in cache.parent.glob(f".{cache.name}.*.partial"):
        with contextlib.suppress(OSError):  # another process may be removing it too
            if time.time() - staging.stat().st_mtime > _STALE_STAGING_SECONDS:
                shutil.rmtree(staging)


def build_cache(model: SentenceTransformer, cache: Path, expected: dict[str, Any]) -> None:
    """Export into a staging directory and rename it into place, so no reader ever sees half a cache.

    Besides the graph, the cache holds the fast tokenizer and what encoding a query takes (pooling, prompt, token
    limit, dimension), so that opening it needs neither torch nor the model."""
    serving = {
        "pooling": pooling_mode(model),
        "prompt": query_prompt(model),
        "max_length": int(model.max_seq_length),
        "dim": int(model.get_embedding_dimension()),
    }
    logger.info("exporting the query encoder to ONNX int8 in %s (once per model, about 15 s)", cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(cache)
    staging = Path(tempfile.mkdtemp(prefix=f".{cache.name}.", suffix=".partial", dir=cache.parent))
    try:
        export_int8(model, staging / MODEL_FILE)
        serving |= save_query_tokenizer(model.tokenizer.backend_tokenizer, staging)
        (staging / SERVING_FILE).write_text(json.dumps(serving, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (staging / FINGERPRINT_FILE).write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(cache, ignore_errors=True)
        try:
            os.rename(staging, cache)
        except OSError:
            if read_fingerprint(cache) != expected:  # unless another process just installed the same export
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
