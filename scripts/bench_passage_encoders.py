"""Passage encoders compared: torch fp32 (the reference), torch bf16 autocast (what builds use) and the ONNX int8
graph the query encoder runs, batched.

    .venv/bin/python scripts/bench_passage_encoders.py [--passages N] [--batch-size B] [--json OUT]

The passages are those of the build benchmark (the sample corpus plus the CMRC 2018 trial paragraphs, default
settings). For each encoder: passages/s, where the time goes (tokenising, the model, pooling), and the cosine of
its vectors to torch fp32. See docs/BENCHMARKS.md for a run's figures.

Reaches past the public API: it times the encoders themselves (``retriever.model``), on the build's passages.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from retriever import Settings
from retriever.evaluation.evaluate import load_squad
from retriever.indexes.pipeline import passages_of
from retriever.model.embed import Encoder, resolve_model
from retriever.model.onnx_query import OnnxQueryEncoder, cache_path
from retriever.reading.loader import iter_corpus
from retriever.reading.segment import matching_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CMRC_FILE = PROJECT_ROOT / "data" / "eval" / "cmrc2018_trial.json"


class Clock:
    """Seconds spent per named part."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    def time(self, part: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        self.parts[part] = self.parts.get(part, 0.0) + time.perf_counter() - started
        return result


def torch_vectors(encoder: Encoder, texts: Sequence[str], batch_size: int, bf16: bool, clock: Clock) -> np.ndarray:
    """The sentence-transformers pipeline step by step (length-sorted batches, as ``encode`` does), timed by part."""
    model = encoder.model
    prompt = model.prompts.get("passage", "")
    order = np.argsort([-len(text) for text in texts])
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    with torch.inference_mode(), autocast:
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            features = clock.time("tokenise", lambda rows=rows: model.tokenize([prompt + texts[i] for i in rows]))
            if "prompt_length" in features:
                features.pop("prompt_length")
            tokens = clock.time("model", lambda features=features: model[0](features)["token_embeddings"])
            vectors = clock.time("pool", lambda tokens=tokens, features=features: _mean_pool(tokens, features))
            out[rows] = vectors
    return out


def _mean_pool(tokens: torch.Tensor, features: dict[str, torch.Tensor]) -> np.ndarray:
    mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
    summed = (tokens * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(summed.float(), dim=1).numpy()


def onnx_vectors(
    onnx: OnnxQueryEncoder, prompt: str, texts: Sequence[str], batch_size: int, clock: Clock
) -> np.ndarray:
    """The query encoder's int8 graph on padded, length-sorted batches with the passage ``prompt``, mean-pooled over
    the mask."""
    ids = clock.time("tokenise", lambda: [onnx.tokenizer.ids(prompt + text) for text in texts])
    order = np.argsort([-len(row) for row in ids])
    out = np.zeros((len(texts), onnx.dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        width = max(len(ids[i]) for i in rows)
        batch = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(batch)
        for line, i in enumerate(rows):
            batch[line, : len(ids[i])] = ids[i]
            mask[line, : len(ids[i])] = 1
        feeds = {"input_ids": batch, "attention_mask": mask, "token_type_ids": np.zeros_like(batch)}
        tokens = clock.time("model", lambda feeds=feeds: onnx.session.run(None, {n: feeds[n] for n in onnx.inputs})[0])
        summed = clock.time("pool", lambda tokens=tokens, mask=mask: (tokens * mask[..., None]).sum(1))
        out[rows] = summed / np.linalg.norm(summed, axis=1, keepdims=True)
    return out


def figures(name: str, texts: Sequence[str], run: Callable[[Clock], np.ndarray], reference: np.ndarray | None) -> dict:
    clock = Clock()
    started = time.perf_counter()
    vectors = run(clock)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "passages_per_s": len(texts) / seconds,
        "seconds": seconds,
        "parts_s": clock.parts,
        "vectors": vectors,
    }
    if reference is not None:
        cosines = (vectors * reference).sum(axis=1)
        result["cosine_to_fp32"] = {"mean": float(cosines.mean()), "min": float(cosines.min())}
    shown = {key: value for key, value in result.items() if key != "vectors"}
    print(f"{name}: {json.dumps(shown)}", file=sys.stderr, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare passage encoders: speed, time by part, cosine to fp32.")
    parser.add_argument("--passages", type=int, default=550, help="how many of the benchmark passages (550)")
    parser.add_argument("--batch-size", type=int, help="passages per batch (default: the embed_batch_size setting)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    settings = Settings()
    batch_size = args.batch_size or settings.embed_batch_size
    encoder = Encoder.from_settings(settings)
    documents = list(iter_corpus(settings.corpus_dir)) + list(load_squad(CMRC_FILE).documents)
    texts = [matching_text(passage) for passage in passages_of(documents, settings)][: args.passages]
    onnx = OnnxQueryEncoder(
        cache_path(resolve_model(settings.model, settings.models_dir), settings.models_dir), torch.get_num_threads()
    )
    prompt = encoder.model.prompts.get("passage", "")
    # warm-up: load the model and touch every kernel once
    torch_vectors(encoder, texts[:batch_size], batch_size, True, Clock())
    onnx_vectors(onnx, prompt, texts[:batch_size], batch_size, Clock())

    fp32 = figures("torch fp32", texts, lambda clock: torch_vectors(encoder, texts, batch_size, False, clock), None)
    results = {
        "torch fp32": fp32,
        "torch bf16": figures(
            "torch bf16", texts, lambda clock: torch_vectors(encoder, texts, batch_size, True, clock), fp32["vectors"]
        ),
        "onnx int8": figures(
            "onnx int8",
            texts,
            lambda clock: onnx_vectors(onnx, prompt, texts, batch_size, clock),
            fp32["vectors"],
        ),
    }
    report = {
        "passages": len(texts),
        "mean_chars": float(np.mean([len(text) for text in texts])),
        "batch_size": batch_size,
        "threads": torch.get_num_threads(),
        "encoders": {name: {k: v for k, v in r.items() if k != "vectors"} for name, r in results.items()},
    }
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
