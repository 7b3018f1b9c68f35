"""Benchmarks: index build throughput, query latency in process and over HTTP, and server memory.

    .venv/bin/python scripts/bench.py [--corpus DIR] [--repeats N] [--quick] [--port P] [--json OUT]

Every figure is the median over ``--repeats`` runs. Traffic goes only to a uvicorn server this script starts on
127.0.0.1 (one per repeat, so its query cache starts empty) and stops; every loop is bounded by a count.
See docs/BENCHMARKS.md for what is measured and how to read it.

Built, opened and queried through ``Retriever`` (the timed build through its ``write_index``, to add the CMRC
paragraphs); only the in-process *floor* reaches past it, as it times the FAISS and BM25 indexes alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch

from retriever import Document, Retriever, Settings
from retriever.evaluation.evaluate import load_question_set, load_seed_jsonl, load_squad
from retriever.indexes.seam import write_index
from retriever.model.embed import Encoder
from retriever.reading.loader import iter_corpus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = PROJECT_ROOT / "data" / "eval" / "seed_questions.jsonl"
CMRC_FILE = PROJECT_ROOT / "data" / "eval" / "cmrc2018_trial.json"
LATENCY_SETS = (
    ("seed", SEED_FILE, None),
    ("CMRC trial", CMRC_FILE, None),
    ("DRCD test", PROJECT_ROOT / "data" / "eval" / "drcd_test.json", None),
    ("XQuAD zh", PROJECT_ROOT / "data" / "eval" / "xquad_zh2zh_public.json", 250),
    ("XQuAD en", PROJECT_ROOT / "data" / "eval" / "xquad_en2zh_public.json", 250),
)
"""Question sets whose per-question search and answer times are reported, each over its own index at a passage size
(None: the default); the seed questions over the benchmarked corpus."""
SET_P99_OVER_P50 = 3.0
"""Per set, p99 at most this many times p50, for search and for answer."""
HOST = "127.0.0.1"
CONCURRENCY = (1, 4, 16)
ENDPOINTS = {"search": ("/search", "query"), "ask": ("/ask", "question")}
QUERY_PREFIXES = ("", "请问", "我想知道")
"""Prefixes that turn each base question into several distinct queries, so no query embedding is served from cache."""
WARM_UP_TEXT = "基准测试预热 benchmark warm-up"
SERVER_START_POLLS = 1200
SERVER_POLL_SECONDS = 0.1
REQUEST_TIMEOUT_SECONDS = 120.0
TARGETS = {
    "http_search_p50_over_floor_p50": 1.3,
    "http_search_p99_over_p50": 3.0,
    "build_over_encoder": 0.9,
    "answer_p50_over_search_p50": 1.5,
    "http_ask_p50_over_search_p50": 1.5,
}
"""The project's performance targets: the first two at most, the last at least."""


@dataclass(frozen=True)
class Sizes:
    """How much work one repeat does: a full run, or a smoke run with ``--quick``."""

    in_process_queries: int
    http_requests: int
    """Requests per (endpoint, concurrency) run, split evenly between the clients."""
    build_with_cmrc: bool
    per_set_questions: int
    """Questions timed per set of ``LATENCY_SETS``, spread over the set."""


FULL = Sizes(in_process_queries=200, http_requests=192, build_with_cmrc=True, per_set_questions=400)
QUICK = Sizes(in_process_queries=32, http_requests=32, build_with_cmrc=False, per_set_questions=100)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentiles(latencies_ms: Sequence[float]) -> dict[str, float]:
    if not latencies_ms:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    p50, p95, p99 = np.percentile(np.asarray(latencies_ms), [50, 95, 99])
    return {"p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99), "max_ms": float(max(latencies_ms))}


def median_tree(runs: list[Any]) -> Any:
    """The per-leaf median of equally shaped nested dicts of numbers."""
    if isinstance(runs[0], dict):
        return {key: median_tree([run[key] for run in runs]) for key in runs[0]}
    return float(statistics.median(runs))


def distinct_queries() -> list[str]:
    """Seed and CMRC trial questions (blank ones dropped), each under every prefix, deduplicated and shuffled
    reproducibly."""
    questions = load_seed_jsonl(SEED_FILE).questions + load_squad(CMRC_FILE).questions
    base = [question.question.strip() for question in questions if question.question.strip()]
    queries = list(dict.fromkeys(prefix + question for prefix in QUERY_PREFIXES for question in base))
    random.Random(0).shuffle(queries)
    return queries


def take(pool: Iterator[str], count: int) -> list[str]:
    queries = [query for _, query in zip(range(count), pool, strict=False)]
    if len(queries) < count:
        raise RuntimeError(f"not enough distinct questions: wanted {count}, had {len(queries)}")
    return queries


# --- index build ---------------------------------------------------------------------------------------------


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


STAGE_NAMES = {"dense": "faiss"}
"""This report's names for stages a build records (``manifest.extra["stage_seconds"]``) under another name."""


def bench_build(
    corpus: Path, extra: list[Document], settings: Settings, encoder: Encoder, work_dir: Path, repeat: int
) -> dict[str, Any]:
    """One build of the corpus (plus ``extra``) into a directory that does not exist yet, so nothing is reused:
    end to end is ``write_index``, documents already loaded → index saved; the stages are those the build records,
    plus loading the corpus before it and writing the index after the last one; ``embed`` is the encoder on every
    passage, the raw encoder floor."""
    corpus_documents, load_s = timed(lambda: list(iter_corpus(corpus, max_bytes=settings.max_file_bytes)))
    documents = corpus_documents + extra
    out = settings.model_copy(update={"index_dir": work_dir / f"build-{repeat}"})
    manifest, seconds = timed(lambda: write_index(documents, out, encoder, full=True, show_progress=False))
    if manifest.extra["reused_vectors"]:
        raise RuntimeError(f"the build reused {manifest.extra['reused_vectors']} vectors: it should embed them all")
    recorded = manifest.extra["stage_seconds"]
    stages = {"load+repair": load_s} | {STAGE_NAMES.get(stage, stage): s for stage, s in recorded.items()}
    stages["write"] = seconds - manifest.build_seconds
    return {
        "documents": manifest.documents,
        "passages": manifest.passages,
        "end_to_end_s": seconds,
        "passages_per_s": manifest.passages / seconds,
        "encoder_passages_per_s": manifest.passages / stages["embed"],
        "stages_s": stages,
    }


# --- in-process queries --------------------------------------------------------------------------------------


def latencies(function: Callable[[str], Any], queries: Sequence[str]) -> list[float]:
    result = []
    for query in queries:
        started = time.perf_counter()
        function(query)
        result.append(1000 * (time.perf_counter() - started))
    return result


def floor_query(library: Retriever) -> Callable[[str], None]:
    """The least a hybrid query costs: one query embedding, one FAISS search and one BM25 scoring (the index's own
    parts, below the public API)."""
    searcher = library.searcher
    n = min(searcher.settings.candidates, len(searcher.backend))

    def run(query: str) -> None:
        vector = searcher.encoder.encode_query(query)
        searcher.backend.data.dense.search(vector[None, :], n)
        searcher.backend.data.lexical.scores(query)

    return run


def bench_in_process(library: Retriever, pool: Sequence[str], count: int) -> dict[str, Any]:
    """p50/p95/p99 of the floor, ``Retriever.search`` and ``Retriever.ask``, each on its own distinct queries."""
    queries = iter(pool)
    runs = {
        "floor": floor_query(library),
        "search": lambda query: library.search(query),
        "answer": lambda query: library.ask(query),
    }
    library.encoder.encode_query.cache_clear()
    return {name: percentiles(latencies(run, take(queries, count))) for name, run in runs.items()}


def bench_sets(corpus: Path, settings: Settings, encoder: Encoder, count: int) -> dict[str, dict[str, Any]]:
    """Per question set: p50/p95/p99 of ``Retriever.search`` and of ``Retriever.ask`` over ``count`` of its
    questions, on the set's own index (built once, then cached), after one warm-up question; the answers are timed
    with the query cache emptied, so each embeds its question again."""
    figures = {}
    for name, path, chunk_max_chars in LATENCY_SETS:
        log(f"per-set latency: {name}")
        sized = settings.model_copy(update={"chunk_max_chars": chunk_max_chars}) if chunk_max_chars else settings
        question_set = load_question_set(path)
        documents = question_set.documents_or(corpus, sized.max_file_bytes)
        library = Retriever.over(documents, sized, encoder)
        questions = [question.question for question in question_set.questions]
        questions = questions[:: max(1, len(questions) // count)][:count]
        library.ask(WARM_UP_TEXT)
        library.encoder.encode_query.cache_clear()
        search = percentiles(latencies(library.search, questions))
        library.encoder.encode_query.cache_clear()
        answer = percentiles(latencies(library.ask, questions))
        figures[name] = {"questions": len(questions), "search": search, "answer": answer}
    return figures


# --- HTTP ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    for _ in range(SERVER_START_POLLS):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before answering")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(SERVER_POLL_SECONDS)
    raise RuntimeError(f"the server did not answer within {SERVER_START_POLLS * SERVER_POLL_SECONDS:.0f} s")


ENV_TARGETING_AN_INDEX = ("RETRIEVER_INDEX_DIR", "RETRIEVER_MILVUS_URI", "RETRIEVER_UPLOADS_DIR")


@contextmanager
def server(
    index_dir: Path, port: int, log_path: Path, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """A uvicorn server over ``index_dir`` on 127.0.0.1:``port``, with ``settings`` (``RETRIEVER_*`` variables) on
    top of the environment, whatever it says about an index: yields its URL and pid, stops it on exit."""
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", HOST, "--port", str(port)]
    environment = {key: value for key, value in os.environ.items() if key not in ENV_TARGETING_AN_INDEX}
    environment |= {"RETRIEVER_INDEX_DIR": str(index_dir), **(settings or {})}
    with log_path.open("a") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://{HOST}:{port}"
        try:
            wait_until_ready(process, base_url)
        except RuntimeError as exc:
            tail = "\n".join(log_path.read_text().splitlines()[-20:])
            raise RuntimeError(f"{exc}; its log ends:\n{tail}") from exc
        yield base_url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status (VmRSS, VmHWM…) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def client_run(base_url: str, path: str, field: str, queries: Sequence[str]) -> tuple[list[float], list[float]]:
    """One client posting ``queries`` in turn on one connection: client-side latencies and the server's took_ms."""
    client_ms, server_ms = [], []
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for query in queries:
            started = time.perf_counter()
            response = client.post(path, json={field: query})
            client_ms.append(1000 * (time.perf_counter() - started))
            response.raise_for_status()
            server_ms.append(float(response.json()["took_ms"]))
    return client_ms, server_ms


def load_run(base_url: str, endpoint: str, queries: Sequence[str], clients: int) -> dict[str, float]:
    """``clients`` concurrent clients sharing ``queries`` evenly: latency percentiles and requests/s."""
    path, field = ENDPOINTS[endpoint]
    per_client = len(queries) // clients
    shares = [queries[i * per_client : (i + 1) * per_client] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as executor:
        results = list(executor.map(lambda share: client_run(base_url, path, field, share), shares))
    wall = time.perf_counter() - started
    client_ms = [ms for result in results for ms in result[0]]
    server_ms = [ms for result in results for ms in result[1]]
    return {**percentiles(client_ms), "server_p50_ms": float(np.median(server_ms)), "rps": len(client_ms) / wall}


def bench_http(index_dir: Path, port: int, pool: Sequence[str], count: int, log_path: Path) -> dict[str, Any]:
    """Each endpoint at each concurrency on its own distinct queries, then the server's memory."""
    queries = iter(pool)
    with server(index_dir, port, log_path) as (base_url, pid):
        rss_started = rss_mb(pid, "VmRSS")
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
            for path, field in ENDPOINTS.values():
                client.post(path, json={field: WARM_UP_TEXT}).raise_for_status()
        figures: dict[str, Any] = {
            endpoint: {
                str(clients): load_run(base_url, endpoint, take(queries, count), clients) for clients in CONCURRENCY
            }
            for endpoint in ENDPOINTS
        }
        figures["memory"] = {"rss_after_start_mb": rss_started, "peak_rss_mb": rss_mb(pid, "VmHWM")}
    return figures


# --- report --------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def ratios(figures: dict[str, Any]) -> dict[str, float]:
    search_at_4 = figures["http"]["search"]["4"]
    build = figures["build"]
    return {
        "http_search_p50_over_floor_p50": search_at_4["p50_ms"] / figures["in_process"]["floor"]["p50_ms"],
        "http_search_p99_over_p50": search_at_4["p99_ms"] / search_at_4["p50_ms"],
        "build_over_encoder": build["passages_per_s"] / build["encoder_passages_per_s"],
        "answer_p50_over_search_p50": figures["in_process"]["answer"]["p50_ms"]
        / figures["in_process"]["search"]["p50_ms"],
        "http_ask_p50_over_search_p50": figures["http"]["ask"]["1"]["p50_ms"] / figures["http"]["search"]["1"]["p50_ms"],
    }


def latency_cell(p: dict[str, float]) -> str:
    return f"p50 {p['p50_ms']:.1f}  p95 {p['p95_ms']:.1f}  p99 {p['p99_ms']:.1f} ms"


def summary(figures: dict[str, Any]) -> str:
    """The figures as a three-column table: section, what, value."""
    build, in_process, http = figures["build"], figures["in_process"], figures["http"]
    memory = http["memory"]
    rows = [
        ("build", f"{build['passages']:.0f} passages, end to end", f"{build['passages_per_s']:.1f} passages/s"),
        ("build", "raw encoder (floor)", f"{build['encoder_passages_per_s']:.1f} passages/s"),
        ("build", "end to end", f"{build['end_to_end_s']:.2f} s"),
    ]
    rows += [("build stage", stage, f"{seconds:.3f} s") for stage, seconds in build["stages_s"].items()]
    rows += [("in process", name, latency_cell(p)) for name, p in in_process.items()]
    for endpoint in ENDPOINTS:
        for clients, p in http[endpoint].items():
            server_p50 = f"server took_ms p50 {p['server_p50_ms']:.1f}"
            value = f"{latency_cell(p)}, {p['rps']:.1f} req/s ({server_p50})"
            rows.append((f"HTTP /{endpoint}", f"{clients} concurrent", value))
    for name, per_set in figures["per_set"].items():
        for what in ("search", "answer"):
            p = per_set[what]
            ratio = p["p99_ms"] / p["p50_ms"]
            value = f"{latency_cell(p)}, p99/p50 {ratio:.2f} (target ≤ {SET_P99_OVER_P50})"
            rows.append((f"{name} ({per_set['questions']})", what, value))
    rows.append(("memory", "server RSS after start", f"{memory['rss_after_start_mb']:.0f} MiB"))
    rows.append(("memory", "server peak RSS (VmHWM)", f"{memory['peak_rss_mb']:.0f} MiB"))
    for name, value in figures["ratios"].items():
        bound = "≥" if name == "build_over_encoder" else "≤"
        rows.append(("ratio", name, f"{value:.2f} (target {bound} {TARGETS[name]})"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows)


# --- main ----------------------------------------------------------------------------------------------------


def sample_library(corpus: Path, index_dir: Path) -> Retriever:
    """The corpus's own index, which the server loads, built and opened in process: its encoder serves every
    other build and query. Building it first also pays the one-time costs (torch kernels, jieba dictionaries)
    before anything is timed."""
    library = Retriever.build(corpus, index_dir, show_progress=False)
    library.search(WARM_UP_TEXT)
    return library


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark index build, query latency and server memory.")
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "retriever" / "data" / "corpus", help="folder of articles")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer requests, build the corpus alone")
    parser.add_argument("--port", type=int, help="server port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    figures: dict[str, Any] = {"machine": machine()}
    extra = load_squad(CMRC_FILE).documents if sizes.build_with_cmrc else []
    pool = distinct_queries()
    port = args.port or free_port()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="retriever-bench-") as tmp:
        work_dir = Path(tmp)
        library = sample_library(args.corpus, work_dir / "sample")
        settings, encoder = library.settings, library.encoder
        for repeat in range(args.repeats):
            log(f"repeat {repeat + 1}/{args.repeats}: index build")
            build = bench_build(args.corpus, extra, settings, encoder, work_dir, repeat)
            log(f"repeat {repeat + 1}/{args.repeats}: in-process queries")
            in_process = bench_in_process(library, pool, sizes.in_process_queries)
            log(f"repeat {repeat + 1}/{args.repeats}: HTTP on port {port}")
            http = bench_http(work_dir / "sample", port, pool, sizes.http_requests, work_dir / "server.log")
            runs.append({"build": build, "in_process": in_process, "http": http})
    figures.update(median_tree(runs))
    figures["per_set"] = bench_sets(args.corpus, settings, encoder, sizes.per_set_questions)
    figures["run"] = {
        "repeats": args.repeats,
        "quick": args.quick,
        "corpus": str(args.corpus),
        "build_includes_cmrc_trial": sizes.build_with_cmrc,
        "query_index_passages": library.passages,
        "in_process_queries": sizes.in_process_queries,
        "http_requests_per_run": sizes.http_requests,
    }
    figures["ratios"] = ratios(figures)
    figures["targets"] = TARGETS
    figures["per_repeat"] = [{**run, "ratios": ratios(run)} for run in runs]
    print(summary(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
