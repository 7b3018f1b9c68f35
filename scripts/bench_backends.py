"""Backend benchmark: the embedded backend (FAISS + BM25 in an index directory) against the Milvus backend (Milvus
Lite in-process, a local path as its URI), on the same corpus, settings, encoder and queries.

    .venv/bin/python scripts/bench_backends.py [--questions FILE] [--chunk-max-chars N] [--queries N]
                                               [--threads K ...] [--work-dir DIR] [--json OUT]

The corpus is the paragraphs of a SQuAD-format file (default: the CMRC 2018 trial set) and the query load its
distinct questions, shuffled reproducibly. What is measured:

- **Build.** ``write_index`` into a new directory, then ``write_index(full=True)`` into a new Milvus Lite file.
  Each build embeds every passage (no vectors are shared), and embedding is the same work for both, so besides the
  total the table shows the build without its ``embed`` stage (the storage cost), and every stage the build's
  manifest records (``stage_seconds``; Milvus's ``embed`` also covers chunking). ``finish`` is what follows the
  last stage: saving the directory, or storing the manifest on the collection and moving the alias. Starting
  Milvus Lite (the first connection) is timed apart and left out of the build. Sizes on disk are taken at the end,
  once Milvus Lite has been stopped and has flushed its data.
- **Queries.** ``Retriever.search(question, 10, mode)`` for each backend and mode (hybrid, dense, lexical), one
  question after another after a warm-up: p50, p95 and mean latency and queries/s. Then hybrid from K client
  threads at once (a thread pool over one shared retriever): aggregate queries/s and latency. The query-embedding
  cache is emptied before every pass, so every pass pays for embedding its questions; the time embedding alone
  takes is shown, as it is the same for both backends.
- **Agreement.** For each mode, the share of questions whose top-10 passage ids are identical in both backends,
  whose top 1 is, and the mean overlap of the two top-10 sets; for the concurrent runs, the share of questions
  ranked as in the sequential run.

The encoder and the tokenizer are warmed up before the builds. Before the queries are timed, each backend answers
20 other questions in every mode, then every timed question once in hybrid mode: answer typing caches the
part-of-speech tags of the passages it reads, and without this the first timed pass alone would pay for them.

Queries go through ``Retriever``; builds through ``write_index``, the seam ``Retriever.build`` uses, as the corpus is
a question file's paragraphs, not a folder. Past the public API the script only starts and stops Milvus Lite (its
start-up timed apart from the build, its data flushed before sizes are taken) and warms up the tokenizer.

Scratch (the index directory and the Milvus Lite file) goes to a temporary directory removed at the end, or to a new
subdirectory of ``--work-dir`` that is kept. The machine is shared with whatever else runs: the load average at the
start and the end is printed with the table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench import machine, percentiles, timed
from bench_scale import size_mib
from milvus_lite.server_manager import server_manager_instance

from retriever import Document, Manifest, Retriever, SearchMode, Settings
from retriever.evaluation.evaluate import load_question_set
from retriever.indexes.milvus.collection import connect
from retriever.indexes.seam import write_index
from retriever.model.embed import Encoder
from retriever.query.tokenize import default_tokenizer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("embedded", "milvus")
MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "lexical")
CONCURRENT_MODE: SearchMode = "hybrid"
TOP_K = 10
WARM_UP_QUERIES = 20
MILVUS_COLLECTION = "bench_backends"
WARM_UP_TEXT = "基准测试预热 benchmark warm-up"


def log(message: str) -> None:
    print(f"[bench-backends] {message}", file=sys.stderr, flush=True)


# --- build ---------------------------------------------------------------------------------------------------


def build_figures(manifest: Manifest, seconds: float) -> dict[str, Any]:
    """A build's total seconds, its stages from the manifest (plus ``finish``, the time after the last stage), and
    its seconds without embedding."""
    stages = dict(manifest.extra["stage_seconds"])
    stages["finish"] = seconds - sum(stages.values())
    return {
        "passages": manifest.passages,
        "total_s": seconds,
        "embed_s": stages["embed"],
        "without_embed_s": seconds - stages["embed"],
        "stages_s": stages,
    }


def build_embedded(documents: list[Document], settings: Settings, encoder: Encoder) -> dict[str, Any]:
    manifest, seconds = timed(lambda: write_index(documents, settings, encoder, show_progress=False))
    return build_figures(manifest, seconds)


def build_in_milvus(documents: list[Document], settings: Settings, encoder: Encoder) -> dict[str, Any]:
    """Start Milvus Lite (timed apart), then a full build into its still empty file."""
    _, start_s = timed(lambda: connect(settings))
    manifest, seconds = timed(lambda: write_index(documents, settings, encoder, full=True, show_progress=False))
    return {**build_figures(manifest, seconds), "start_s": start_s}


def lite_path(settings: Settings) -> Path:
    """Where Milvus Lite keeps the data (a directory, despite the ``.db`` name)."""
    return Path(str(settings.milvus_uri)).resolve()


def stop_milvus_lite(settings: Settings) -> None:
    """Close the client and stop Milvus Lite's server (threads of this process): it flushes its data, so the size on
    disk is final, and writes nothing into the work directory after that is removed (left to itself, it would at
    exit)."""
    connect(settings).close()
    server_manager_instance.release_server(str(lite_path(settings)))


def warm_up_encoder(encoder: Encoder) -> None:
    """Pay the one-time costs (torch kernels, the ONNX session, jieba's dictionary) before anything is timed."""
    encoder.encode_passages([WARM_UP_TEXT])
    encoder.encode_query(WARM_UP_TEXT)
    default_tokenizer().tokenize(WARM_UP_TEXT)


# --- queries -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryPass:
    """One pass over the questions: each one's latency and top passage ids, in question order, and the wall time."""

    latencies_ms: list[float]
    rankings: list[list[str]]
    wall_s: float

    def figures(self) -> dict[str, float]:
        return {
            **percentiles(self.latencies_ms),
            "mean_ms": float(np.mean(self.latencies_ms)),
            "qps": len(self.latencies_ms) / self.wall_s,
        }


def timed_search(library: Retriever, question: str, mode: SearchMode) -> tuple[float, list[str]]:
    started = time.perf_counter()
    hits = library.search(question, TOP_K, mode)
    return 1000 * (time.perf_counter() - started), [hit.passage_id for hit in hits]


def query_pass(library: Retriever, questions: Sequence[str], mode: SearchMode, threads: int | None = None) -> QueryPass:
    """Every question once, in this thread (``threads`` None) or from a pool of ``threads`` client threads."""
    library.encoder.encode_query.cache_clear()
    started = time.perf_counter()
    if threads is None:
        results = [timed_search(library, question, mode) for question in questions]
    else:
        with ThreadPoolExecutor(max_workers=threads) as executor:
            results = list(executor.map(lambda question: timed_search(library, question, mode), questions))
    wall_s = time.perf_counter() - started
    return QueryPass([ms for ms, _ in results], [ranking for _, ranking in results], wall_s)


def embedding_alone(encoder: Encoder, questions: Sequence[str]) -> dict[str, float]:
    """The query encoder on the questions, uncached: the part of every search both backends share."""
    encoder.encode_query.cache_clear()
    _, wall_s = timed(lambda: [encoder.encode_query(question) for question in questions])
    encoder.encode_query.cache_clear()
    return {"mean_ms": 1000 * wall_s / len(questions)}


def agreement(first: Sequence[list[str]], second: Sequence[list[str]]) -> dict[str, float]:
    """How alike two rankings of the same questions are."""
    pairs = list(zip(first, second, strict=True))
    return {
        "same_top10": sum(a == b for a, b in pairs) / len(pairs),
        "same_top1": sum(a[:1] == b[:1] for a, b in pairs) / len(pairs),
        "mean_overlap10": sum(len(set(a) & set(b)) / TOP_K for a, b in pairs) / len(pairs),
    }


def warm_up_libraries(libraries: dict[str, Retriever], questions: Sequence[str], warm_up: Sequence[str]) -> None:
    """Every backend and mode on the warm-up questions, then every backend on the timed questions in hybrid mode, so
    that what is cached per passage above the backends (the part-of-speech tags answer typing reads) is as warm for
    the first timed pass as for the later ones."""
    for library in libraries.values():
        for mode in MODES:
            for question in warm_up:
                library.search(question, TOP_K, mode)
        for question in questions:
            library.search(question, TOP_K, CONCURRENT_MODE)


def bench_queries(
    libraries: dict[str, Retriever], questions: Sequence[str], warm_up: Sequence[str], threads: Sequence[int]
) -> dict[str, Any]:
    log("warming up")
    warm_up_libraries(libraries, questions, warm_up)
    sequential: dict[str, dict[str, QueryPass]] = {}
    for mode in MODES:
        log(f"sequential {mode} queries")
        sequential[mode] = {name: query_pass(library, questions, mode) for name, library in libraries.items()}
    concurrent: dict[str, dict[str, Any]] = {}
    for count in threads:
        log(f"{CONCURRENT_MODE} queries from {count} threads")
        concurrent[str(count)] = {}
        for name, library in libraries.items():
            run = query_pass(library, questions, CONCURRENT_MODE, count)
            same = agreement(run.rankings, sequential[CONCURRENT_MODE][name].rankings)["same_top10"]
            concurrent[str(count)][name] = {**run.figures(), "same_as_sequential": same}
    return {
        "embedding_alone": embedding_alone(next(iter(libraries.values())).encoder, questions),
        "sequential": {mode: {name: run.figures() for name, run in runs.items()} for mode, runs in sequential.items()},
        "concurrent": concurrent,
        "agreement": {
            mode: agreement(runs["embedded"].rankings, runs["milvus"].rankings) for mode, runs in sequential.items()
        },
    }


# --- report --------------------------------------------------------------------------------------------------


def lookup(figures: dict[str, Any], path: Sequence[str]) -> float | None:
    """The number at ``path`` in nested figures, or None where a key is missing (a stage one backend lacks)."""
    value: Any = figures
    for key in path:
        if key not in value:
            return None
        value = value[key]
    return float(value)


def row(
    label: str, figures: dict[str, Any], path: Sequence[str], digits: int = 2, compare: bool = True
) -> tuple[str, str, str, str]:
    """A table row: ``path`` looked up in each backend's figures, and (when ``compare``) Milvus over embedded."""
    first, second = (lookup(figures[name], path) for name in BACKENDS)
    cells = ["-" if value is None else f"{value:.{digits}f}" for value in (first, second)]
    ratio = f"{second / first:.2f}x" if compare and first and second is not None else "-"
    return label, cells[0], cells[1], ratio


def summary(figures: dict[str, Any]) -> str:
    build, queries = figures["build"], figures["queries"]
    rows = [
        row("build: passages", build, ["passages"], 0, compare=False),
        row("build: total s", build, ["total_s"]),
        row("build: embed s", build, ["embed_s"]),
        row("build: without embed s", build, ["without_embed_s"]),
    ]
    for stage in dict.fromkeys([*build["embedded"]["stages_s"], *build["milvus"]["stages_s"]]):
        if stage != "embed":
            rows.append(row(f"  stage {stage} s", build, ["stages_s", stage], 3))
    rows.append(row("index size MiB", build, ["size_mib"]))
    for mode, runs in queries["sequential"].items():
        for key, unit in (("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("mean_ms", "mean ms"), ("qps", "queries/s")):
            rows.append(row(f"{mode}, sequential: {unit}", runs, [key], 1))
    for count, runs in queries["concurrent"].items():
        pool = f"{CONCURRENT_MODE}, {count} thread{'s' if count != '1' else ''}"
        for key, unit in (("qps", "queries/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms")):
            rows.append(row(f"{pool}: {unit}", runs, [key], 1))
        rows.append(row(f"{pool}: same top 10 as sequential", runs, ["same_as_sequential"], compare=False))
    header = ("", *BACKENDS, "milvus/embedded")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [
        f"{r[0]:<{widths[0]}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True))
        for r in [header, *rows]
    ]
    lines.append(f"query embedding alone (both backends): {queries['embedding_alone']['mean_ms']:.1f} ms mean")
    lines.append(f"Milvus Lite start (not in the build): {build['milvus']['start_s']:.2f} s")
    for mode, same in queries["agreement"].items():
        lines.append(
            f"agreement {mode}: identical top 10 {same['same_top10']:.1%}, identical top 1 {same['same_top1']:.1%}, "
            f"mean top-10 overlap {same['mean_overlap10']:.1%}"
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------------


def distinct_questions(path: Path, count: int) -> tuple[list[str], list[str]]:
    """``count`` distinct questions of the file to time, and others to warm up with, shuffled reproducibly."""
    questions = [question.question.strip() for question in load_question_set(path).questions]
    pool = list(dict.fromkeys(question for question in questions if question))
    random.Random(0).shuffle(pool)
    if len(pool) < count + WARM_UP_QUERIES:
        raise SystemExit(
            f"{path} has {len(pool)} distinct questions; --queries {count} needs {count + WARM_UP_QUERIES}"
        )
    return pool[:count], pool[count : count + WARM_UP_QUERIES]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compare build and query throughput of the embedded and Milvus backends."
    )
    parser.add_argument(
        "--questions",
        type=Path,
        default=PROJECT_ROOT / "data" / "eval" / "cmrc2018_trial.json",
        help="SQuAD-format file: its paragraphs are the corpus, its questions the queries",
    )
    parser.add_argument("--chunk-max-chars", type=int, default=250, help="longest passage in characters")
    parser.add_argument("--queries", type=int, default=300, help="distinct questions per pass")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4], help="concurrent client threads to try")
    parser.add_argument("--work-dir", type=Path, help="keep the indexes in a new subdirectory of this one")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.queries < 1 or min(args.threads) < 1:
        parser.error("--queries and --threads must be at least 1")
    return args


def run(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    settings = Settings(chunk_max_chars=args.chunk_max_chars, index_dir=work_dir / "embedded", milvus_uri=None)
    milvus_settings = settings.model_copy(
        update={"milvus_uri": str(work_dir / "milvus.db"), "milvus_collection": MILVUS_COLLECTION}
    )
    documents = load_question_set(args.questions).documents
    if not documents:
        raise SystemExit(f"{args.questions} has no paragraphs: give a SQuAD-format file")
    questions, warm_up = distinct_questions(args.questions, args.queries)
    figures: dict[str, Any] = {"machine": machine()}
    encoder = Encoder.from_settings(settings)
    warm_up_encoder(encoder)
    log(f"building the embedded index of {len(documents)} documents")
    build = {"embedded": build_embedded(documents, settings, encoder)}
    log("building the Milvus Lite collection")
    build["milvus"] = build_in_milvus(documents, milvus_settings, encoder)
    figures["build"] = build
    libraries = {
        "embedded": Retriever.from_settings(settings, encoder),
        "milvus": Retriever.from_settings(milvus_settings, encoder),
    }
    figures["queries"] = bench_queries(libraries, questions, warm_up, args.threads)
    figures["run"] = {
        "questions_file": str(args.questions),
        "documents": len(documents),
        "chunk_max_chars": args.chunk_max_chars,
        "queries": len(questions),
        "warm_up_queries": len(warm_up),
        "top_k": TOP_K,
        "threads": args.threads,
        "work_dir": str(work_dir),
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
    }
    stop_milvus_lite(milvus_settings)
    build["embedded"]["size_mib"] = size_mib(work_dir / "embedded")
    build["milvus"]["size_mib"] = size_mib(lite_path(milvus_settings))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        work_dir = Path(tempfile.mkdtemp(prefix="bench-backends-", dir=args.work_dir))
        log(f"scratch in {work_dir} (kept)")
        figures = run(args, work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
            figures = run(args, Path(tmp))
    host, run_figures = figures["machine"], figures["run"]
    print(
        f"{host['cpu']}, {host['nproc']} CPUs, {host['ram_gib']} GiB, torch threads {host['torch_threads']}; load "
        f"average {host['load_average_at_start']} at start, {run_figures['load_average_at_end']} at end"
    )
    print(f"{run_figures['documents']} documents, chunk_max_chars {args.chunk_max_chars}, {args.queries} questions")
    print(summary(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
