"""Scale benchmark: a ~1,000,000-passage index built with the library's own build, its approximate dense search
against exact search, hybrid query latency in process, and the server's start-up time and memory.

    .venv/bin/python scripts/bench_scale.py [--passages N] [--base B] [--work-dir DIR] [--reuse-index] [--json OUT]
    .venv/bin/python scripts/bench_scale.py --bm25-only [--passages N]     # the build's BM25 stage alone

The corpus is made by ``scale_corpus``: real sentences recombined, real vectors for ``--base`` passages and a
calibration sample, the base passage's vector plus calibrated Gaussian noise for every other passage. Encoded
vectors are cached in ``WORK_DIR/cache``; the index is written to ``WORK_DIR/index`` (neither belongs in the
repository). Traffic goes only to a uvicorn server this script starts on 127.0.0.1 and stops; every loop is bounded.
See docs/BENCHMARKS.md ("1M passages") for the method and the figures.

Built with ``write_index`` (precomputed vectors), searched through ``Retriever``; internals only where timed alone:
the BM25 stage (``--bm25-only``), the store's load, the FAISS index (recall, nprobe sweep, query floor).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench import (
    distinct_queries,
    floor_query,
    free_port,
    latencies,
    load_run,
    machine,
    percentiles,
    rss_mb,
    server,
    take,
)
from scale_corpus import (
    Documents,
    Source,
    base_documents,
    cached_vectors,
    matching_texts,
    mean_cosine,
    noise_scale,
    noisy,
    passages_and_bases,
    real_source,
    variant_documents,
)

from retriever import Document, Passage, Retriever, Settings
from retriever.indexes.dense import recall_at_10
from retriever.indexes.lexical import LexicalIndex
from retriever.indexes.pipeline import corpus_aliases, tokenizing_processes
from retriever.indexes.seam import write_index
from retriever.indexes.store import load_index
from retriever.model.embed import Encoder
from retriever.query.tokenize import TOKENIZER_VERSION, Tokenizer

SEED = 0
CALIBRATION_PASSAGES = 512
RECALL_QUERIES = 500
LATENCY_QUERIES = 300
WARM_UP_QUERIES = 20
HTTP_REQUESTS = 200
HTTP_CLIENTS = (1, 4)
NPROBE_SWEEP = (32, 64, 128, 256, 512)
TARGETS = {"search_p50_ms": 50.0, "recall_at_10": 0.95, "server_peak_rss_mib": 6e9 / 2**20}
"""The performance issue's targets at 1M passages: p50 and RSS at most (6 GB = 5,722 MiB), recall at least."""


def log(message: str) -> None:
    print(f"[bench-scale] {message}", file=sys.stderr, flush=True)


class PrecomputedEncoder:
    """Stands in for the encoder during the build: hands out the vector prepared for each passage text."""

    def __init__(self, name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.name = name
        self.dim = int(vectors.shape[1])
        self._rows = {text: row for row, text in enumerate(texts)}
        self._vectors = vectors

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self._vectors[[self._rows[text] for text in texts]]


@dataclass
class SyntheticCorpus:
    """Documents, the matching texts of their passages in build order, one vector per passage, and how the
    vectors were made."""

    documents: list[Document]
    texts: list[str]
    vectors: np.ndarray
    figures: dict[str, Any]


@dataclass
class SyntheticText:
    """The synthetic documents and their passages: base ones drawn freely, variants of them (``bases`` gives each
    variant passage's base passage), and the real sentences and titles they are made of."""

    source: Source
    base: Documents
    base_passages: list[Passage]
    variants: Documents
    variant_passages: list[Passage]
    bases: np.ndarray

    @property
    def documents(self) -> list[Document]:
        return self.base.documents + self.variants.documents

    @property
    def texts(self) -> list[str]:
        """The passages' matching texts in build order."""
        return matching_texts(self.base_passages) + matching_texts(self.variant_passages)


def synthetic_text(args: argparse.Namespace, settings: Settings) -> SyntheticText:
    source = real_source()
    rng = random.Random(SEED)
    base, base_paragraphs = base_documents(rng, source, args.base)
    base_passages, _ = passages_and_bases(base, settings)
    variants = variant_documents(rng, source, base_paragraphs, args.passages - len(base_passages))
    variant_passages, bases = passages_and_bases(variants, settings)
    return SyntheticText(source, base, base_passages, variants, variant_passages, bases)


def synthetic_corpus(args: argparse.Namespace, settings: Settings, encoder: Encoder) -> SyntheticCorpus:
    """Base passages with real vectors, then variants: the first ``CALIBRATION_PASSAGES`` with real vectors (which
    calibrate the noise), the rest with their base's vector plus that noise."""
    cache = args.work_dir / "cache"
    text = synthetic_text(args, settings)
    bases = text.bases

    def encode(texts: list[str]) -> np.ndarray:
        return encoder.encode_passages(texts, batch_size=settings.embed_batch_size, show_progress=True)

    started = time.perf_counter()
    log(f"embedding {len(text.base_passages)} base passages (cached in {cache})")
    base_vectors = cached_vectors(cache, "base", matching_texts(text.base_passages), encode)
    base_seconds = time.perf_counter() - started
    log(f"embedding {CALIBRATION_PASSAGES} variant passages to calibrate the noise")
    real_variants = cached_vectors(
        cache, "calibration", matching_texts(text.variant_passages[:CALIBRATION_PASSAGES]), encode
    )
    real_cosine = mean_cosine(real_variants, base_vectors[bases[:CALIBRATION_PASSAGES]])
    sigma = noise_scale(real_cosine, encoder.dim)
    synthetic = noisy(base_vectors, bases, sigma, SEED)
    calibrated = synthetic[:CALIBRATION_PASSAGES]
    calibration = {
        "real_variant_to_base_cosine": real_cosine,
        "noise_sigma_per_dimension": sigma,
        "noisy_variant_to_base_cosine": mean_cosine(calibrated, base_vectors[bases[:CALIBRATION_PASSAGES]]),
        "noisy_to_real_variant_cosine": mean_cosine(calibrated, real_variants),
    }
    synthetic[:CALIBRATION_PASSAGES] = real_variants
    return SyntheticCorpus(
        documents=text.documents,
        texts=text.texts,
        vectors=np.vstack([base_vectors, synthetic]),
        figures={
            "sentences": len(text.source.sentences),
            "titles": len(text.source.titles),
            "base_passages": len(text.base_passages),
            "real_vector_passages": len(text.base_passages) + CALIBRATION_PASSAGES,
            "noisy_vector_passages": len(text.variant_passages) - CALIBRATION_PASSAGES,
            "base_vectors_s": base_seconds,
            "calibration": calibration,
        },
    )


def build(args: argparse.Namespace, settings: Settings, encoder: Encoder) -> tuple[np.ndarray, dict]:
    """Build the index at ``settings.index_dir`` with ``write_index`` (vectors handed out by
    ``PrecomputedEncoder``): all vectors, figures."""
    index_dir = settings.index_dir
    corpus = synthetic_corpus(args, settings, encoder)
    stand_in = PrecomputedEncoder(encoder.name, corpus.texts, corpus.vectors)
    shutil.rmtree(index_dir, ignore_errors=True)
    log(f"building {len(corpus.texts)} passages into {index_dir}")
    started = time.perf_counter()
    manifest = write_index(corpus.documents, settings, stand_in, full=True, show_progress=True)
    seconds = time.perf_counter() - started
    stages = dict(manifest.extra["stage_seconds"], write=seconds - manifest.build_seconds)
    figures = {
        "corpus": corpus.figures,
        "documents": manifest.documents,
        "passages": manifest.passages,
        "build_s": seconds,
        "stages_s": stages,
        "dense": manifest.extra["dense"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "index_size_mib": {part.name: size_mib(part) for part in sorted(index_dir.iterdir())},
    }
    return corpus.vectors, figures


def bench_bm25_stage(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The build's BM25 stage alone on the same passages, tokenised with the corpus's mined abbreviations as the
    build's are: no vectors needed."""
    text = synthetic_text(args, settings)
    texts = text.texts
    aliases = corpus_aliases(text.documents)
    processes = tokenizing_processes(len(texts))
    log(f"BM25 stage: {len(texts)} passages, tokenised in {processes} processes")
    started = time.perf_counter()
    LexicalIndex.build(
        texts, Tokenizer.for_aliases(aliases), k1=settings.bm25_k1, b=settings.bm25_b, processes=processes, show_progress=True
    )
    seconds = time.perf_counter() - started
    return {
        "passages": len(texts),
        "chars": sum(len(passage_text) for passage_text in texts),
        "tokenizer": TOKENIZER_VERSION,
        "processes": processes,
        "bm25_stage_s": seconds,
    }


def size_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def bench_recall(library: Retriever, vectors: np.ndarray, queries: Sequence[str]) -> dict[str, Any]:
    """Recall@10 of the index against exact search for real query vectors, at its own ``nprobe`` and a sweep."""
    dense = library.searcher.backend.data.dense
    query_vectors = np.vstack([library.encoder.encode_query(query) for query in queries])
    figures: dict[str, Any] = {"queries": len(queries), "recall_at_10": recall_at_10(dense, vectors, query_vectors)}
    if not hasattr(dense, "nprobe"):
        return figures
    configured = dense.nprobe
    sweep = {}
    for nprobe in NPROBE_SWEEP:
        dense.nprobe = nprobe
        search_ms = latencies(lambda row: dense.search(query_vectors[row : row + 1], 10), range(len(queries)))
        sweep[str(nprobe)] = {"recall_at_10": recall_at_10(dense, vectors, query_vectors), **percentiles(search_ms)}
    dense.nprobe = configured
    figures.update(nprobe=configured, sweep=sweep)
    return figures


def bench_in_process(library: Retriever, pool: Iterator[str]) -> dict[str, Any]:
    """p50/p95/p99 of ``Retriever.search`` (hybrid, top 5) and of the floor, each on its own distinct queries."""
    for query in take(pool, WARM_UP_QUERIES):
        library.search(query)
    library.encoder.encode_query.cache_clear()
    return {
        "search": percentiles(latencies(lambda query: library.search(query), take(pool, LATENCY_QUERIES))),
        "floor": percentiles(latencies(floor_query(library), take(pool, LATENCY_QUERIES))),
    }


def bench_server(index_dir: Path, port: int, pool: Iterator[str], log_path: Path) -> dict[str, Any]:
    """Start-up time and memory of a server over the big index, around bounded runs of /search."""
    started = time.perf_counter()
    with server(index_dir, port, log_path) as (base_url, pid):
        figures: dict[str, Any] = {
            "start_s": time.perf_counter() - started,
            "rss_after_start_mib": rss_mb(pid, "VmRSS"),
        }
        for clients in HTTP_CLIENTS:
            figures[f"search_{clients}_clients"] = load_run(base_url, "search", take(pool, HTTP_REQUESTS), clients)
        figures["rss_at_end_mib"] = {field: rss_mb(pid, field) for field in ("VmRSS", "RssAnon", "RssFile")}
        figures["peak_rss_mib"] = rss_mb(pid, "VmHWM")
    return figures


def verdicts(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    measured = {
        "search_p50_ms": figures["in_process"]["search"]["p50_ms"],
        "recall_at_10": figures["recall"]["recall_at_10"],
        "server_peak_rss_mib": figures["server"]["peak_rss_mib"],
    }
    return {
        name: {
            "measured": value,
            "target": TARGETS[name],
            "met": value >= TARGETS[name] if name == "recall_at_10" else value <= TARGETS[name],
        }
        for name, value in measured.items()
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build a ~1M-passage index and measure recall, latency and memory.")
    parser.add_argument("--passages", type=int, default=1_000_000, help="passages in the index")
    parser.add_argument("--base", type=int, default=10_000, help="passages embedded with the real encoder")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/retriever-scale"), help="index and vector cache")
    parser.add_argument("--reuse-index", action="store_true", help="measure WORK_DIR/index as built by an earlier run")
    parser.add_argument(
        "--bm25-only", action="store_true", help="time only the build's BM25 stage on the same passages, then stop"
    )
    parser.add_argument("--port", type=int, help="server port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 0 < args.base + CALIBRATION_PASSAGES < args.passages:
        parser.error(f"--base must be positive and leave room for {CALIBRATION_PASSAGES} calibration passages")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    index_dir = args.work_dir / "index"
    settings = Settings(index_dir=index_dir, milvus_uri=None)
    figures: dict[str, Any] = {"machine": machine(), "run": {"passages": args.passages, "base": args.base}}
    if args.bm25_only:
        figures["bm25_stage"] = bench_bm25_stage(args, settings)
        return report(figures, args.json_out)
    if args.reuse_index:
        dense = load_index(index_dir).dense
        vectors = dense.reconstruct_n(0, dense.ntotal)
    else:
        encoder = Encoder.from_settings(settings)
        vectors, figures["build"] = build(args, settings, encoder)
        del encoder
    log("opening the index in process")
    started = time.perf_counter()
    data = load_index(index_dir)
    figures["load_index_s"] = time.perf_counter() - started
    started = time.perf_counter()
    library = Retriever.from_settings(settings)
    figures["searcher_open_s"] = time.perf_counter() - started
    del data
    pool = iter(distinct_queries())
    log("recall against exact search")
    figures["recall"] = bench_recall(library, vectors, take(pool, RECALL_QUERIES))
    del vectors
    log("in-process query latency")
    figures["in_process"] = bench_in_process(library, pool)
    del library
    log("server start-up and memory")
    figures["server"] = bench_server(index_dir, args.port or free_port(), pool, args.work_dir / "server.log")
    figures["targets"] = verdicts(figures)
    return report(figures, args.json_out)


def report(figures: dict[str, Any], json_out: Path | None) -> int:
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    print(text)
    if json_out:
        json_out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
