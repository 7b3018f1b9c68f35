"""Command-line entry points: build an index, evaluate a question set, serve the API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from retriever.config import Settings
from retriever.documents import Document
from retriever.manifest import IndexLoadError

if TYPE_CHECKING:
    from retriever.embed import Encoder
    from retriever.search import Searcher

logger = logging.getLogger("retriever")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def _run(main: Callable[[argparse.Namespace], int], parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse, run, and turn expected failures into one clear line on stderr instead of a traceback."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return main(args)
    except (FileNotFoundError, NotADirectoryError, IndexLoadError, ValueError, RuntimeError) as exc:
        message = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a search index from a folder of .txt articles.")
    parser.add_argument("--corpus", type=Path, help="folder of articles (default: the bundled sample corpus)")
    parser.add_argument("--out", type=Path, help="index directory to write (default: index/default)")
    parser.add_argument("--chunk-max-chars", type=int, help="longest passage in characters")
    parser.add_argument("--model", help="embedding model name or path")
    parser.add_argument(
        "--full",
        action="store_true",
        help="with RETRIEVER_MILVUS_URI: build a new collection and move the alias to it, instead of updating "
        "the live collection in place",
    )
    return _run(_build, parser, argv)


def _build(args: argparse.Namespace) -> int:
    from retriever.build import build_index
    from retriever.embed import Encoder
    from retriever.loader import LoadReport, iter_corpus

    settings = _settings(chunk_max_chars=args.chunk_max_chars, model=args.model)
    if settings.milvus_uri and args.out:
        raise ValueError(
            "--out names an index directory; with RETRIEVER_MILVUS_URI set the index is a Milvus collection"
        )
    corpus = args.corpus or settings.corpus_dir
    out = args.out or settings.index_dir
    report = LoadReport()
    documents = list(iter_corpus(corpus, report, settings.max_file_bytes))
    if not documents:
        raise ValueError(f"no readable .txt articles in {corpus}")
    started = time.perf_counter()
    encoder = Encoder.from_settings(settings)
    if settings.milvus_uri:
        from retriever.backend import index_location
        from retriever.milvus.writer import build_milvus

        manifest, out = build_milvus(documents, settings, encoder, full=args.full), index_location(settings)
    else:
        manifest = build_index(documents, out, settings, encoder)
    seconds = time.perf_counter() - started
    changes = manifest.extra["document_changes"]
    print(
        f"indexed {manifest.documents} documents into {manifest.passages} passages in {seconds:.1f} s "
        f"({manifest.passages / seconds:.1f} passages/s, {manifest.extra['reused_vectors']} vectors reused; documents: "
        f"{changes['new']} new, {changes['changed']} changed, {changes['removed']} removed, {changes['unchanged']} "
        f"unchanged); skipped {len(report.skipped)} file(s) → {out}"
    )
    for path, reason in report.skipped.items():
        print(f"  skipped {path}: {reason}")
    return 0


def evaluate_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate retrieval on a question set (seed JSONL or SQuAD JSON).")
    parser.add_argument("--questions", type=Path, required=True)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, help="folder of articles to index (default: the bundled sample)")
    source.add_argument("--index", type=Path, help="an existing index directory")
    parser.add_argument(
        "--distractors",
        type=Path,
        help="more documents to index beside the corpus: a folder of articles or a SQuAD file's paragraphs",
    )
    parser.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    parser.add_argument("--chunk-max-chars", type=int, help="override the passage size of the index built")
    parser.add_argument("--fusion", choices=["weighted", "rrf"])
    parser.add_argument(
        "--alpha", type=float, help="dense weight of weighted fusion, for questions in both languages (default: fitted)"
    )
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    parser.add_argument(
        "--answers",
        action="store_true",
        help="also answer every question as POST /ask does and report answer_em, answer_f1, answered, confident "
        "and confident_wrong",
    )
    parser.add_argument(
        "--per-question",
        type=Path,
        help='write one JSON object a line: {"id", "rank", "ms"}, and "answer", "confidence" with --answers',
    )
    return _run(_evaluate, parser, argv)


def _documents_of(source: Path, settings: Settings) -> list[Document]:
    """The documents of a corpus folder, or the paragraphs of a SQuAD-format file."""
    from retriever.evaluate import load_squad
    from retriever.loader import iter_corpus

    if source.is_dir():
        return list(iter_corpus(source, max_bytes=settings.max_file_bytes))
    return load_squad(source).documents


def _cached_searcher(documents: list[Document], settings: Settings, encoder: Encoder) -> Searcher:
    """A searcher over ``documents``, built once per corpus and settings: an index directory under the cache, or with
    a Milvus URI set, a collection there named after the same key."""
    from retriever.build import cached_index, index_key
    from retriever.search import Searcher

    if not settings.milvus_uri:
        return Searcher.open(cached_index(documents, settings, encoder), settings, encoder)
    from retriever.backend import index_exists
    from retriever.milvus.writer import build_milvus

    key = f"{index_key(documents, settings)}_hnsw_{settings.milvus_hnsw_m}_{settings.milvus_hnsw_ef_construction}"
    settings = settings.model_copy(update={"milvus_collection": f"cache_{key}"})
    if not index_exists(settings):
        build_milvus(documents, settings, encoder, full=True)
    return Searcher.from_settings(settings, encoder)


def _evaluate(args: argparse.Namespace) -> int:
    from retriever.answer import answer_question
    from retriever.embed import Encoder
    from retriever.evaluate import Asked, evaluate, format_report, load_question_set
    from retriever.search import Searcher

    settings = _settings(
        chunk_max_chars=args.chunk_max_chars,
        fusion=args.fusion,
        fusion_alpha=args.alpha,
        fusion_alpha_english=args.alpha,
    )
    question_set = load_question_set(args.questions)
    encoder = Encoder.from_settings(settings)
    if args.index:
        if args.chunk_max_chars or args.distractors:
            raise ValueError("--chunk-max-chars and --distractors apply when building; an existing --index is as built")
        searcher = Searcher.open(args.index, settings, encoder)
    else:
        documents = question_set.documents_or(args.corpus or settings.corpus_dir, settings.max_file_bytes)
        if args.distractors:
            documents += _documents_of(args.distractors, settings)
        searcher = _cached_searcher(documents, settings, encoder)

    def ask(question: str) -> Asked:
        answer = answer_question(searcher, question)
        return Asked(answer.answer, answer.confidence)

    started = time.perf_counter()
    report = evaluate(
        question_set.questions,
        lambda question, depth: [hit.passage for hit in searcher.search(question, depth, args.mode)],
        ask=ask if args.answers else None,
    )
    seconds = time.perf_counter() - started
    passages = len(searcher.backend)
    chars = searcher.manifest.extra.get("passage_chars")
    mean_chars = chars / passages if chars is not None and passages else None
    size = f"mean {mean_chars:.0f} chars, " if mean_chars is not None else ""
    print(
        f"{args.questions.name}: {report['n']} questions, mode {args.mode}, {passages} passages "
        f"({size}max {searcher.manifest.chunking['max_chars']} chars) in {searcher.backend.location}, "
        f"{1000 * seconds / max(report['n'], 1):.1f} ms/question" + (", with answers" if args.answers else "")
    )
    print(format_report(report))
    if args.per_question:
        rows = (json.dumps(result.row(args.answers), ensure_ascii=False) for result in report["questions"])
        args.per_question.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    if args.json_out:
        figures = {key: value for key, value in report.items() if key != "questions"}
        figures.update(mode=args.mode, passages=passages, backend=searcher.backend.location)
        if mean_chars is not None:
            figures["mean_passage_chars"] = round(mean_chars, 1)
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def serve_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the search API (builds the default index if it is missing).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    return _run(_serve, parser, argv)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app
    from retriever.backend import index_exists, index_location
    from retriever.search import Searcher

    settings = Settings()
    if not index_exists(settings):
        print(f"no index in {index_location(settings)}: building it from {settings.corpus_dir}", file=sys.stderr)
        status = build_main([])
        if status:
            return status
    searcher = Searcher.from_settings(settings)
    uvicorn.run(create_app(settings, searcher=searcher), host=args.host, port=args.port, access_log=False)
    return 0


PUBLIC_TRAINING_SETS = ("cmrc2018_trial.json", "drcd_test.json", "seed_questions.jsonl")


def train_reader_main(argv: Sequence[str] | None = None) -> int:
    from retriever.config import PROJECT_ROOT

    parser = argparse.ArgumentParser(
        description="Train the answer span scorer and its confidence on question sets, report cross-validated "
        "figures per set, and write the models."
    )
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[PROJECT_ROOT / "data" / "eval" / name for name in PUBLIC_TRAINING_SETS],
        help="seed JSONL and/or SQuAD files (default: the public CMRC trial, DRCD test and seed sets in data/eval)",
    )
    parser.add_argument("--corpus", type=Path, help="corpus for seed-format questions (default: the bundled sample)")
    parser.add_argument("--out", type=Path, help="folder for the models (default: retriever/data/reader)")
    return _run(_train_reader, parser, argv)


def _train_reader(args: argparse.Namespace) -> int:
    from retriever.answer import CALIBRATION_FILE
    from retriever.calibration import fit
    from retriever.embed import Encoder
    from retriever.evaluate import load_question_set
    from retriever.reader import CONFIDENCE_FEATURES, READER_MODEL
    from retriever.reader_training import (
        confidence_rows,
        cross_validated_report,
        examples_of,
        held_out_confidences,
        held_out_readings,
        train_scorer,
    )

    settings = Settings()
    encoder = Encoder.from_settings(settings)
    examples = []
    for path in args.questions:
        question_set = load_question_set(path)
        documents = question_set.documents_or(args.corpus or settings.corpus_dir, settings.max_file_bytes)
        searcher = _cached_searcher(documents, settings, encoder)
        examples += examples_of(searcher, question_set.questions, path.name)
    held_out = held_out_readings(examples)
    confidences = held_out_confidences(examples, held_out)
    report = cross_validated_report(examples, held_out, confidences, settings.answer_min_confidence)
    out = args.out or READER_MODEL.parent
    out.mkdir(parents=True, exist_ok=True)
    (out / READER_MODEL.name).write_bytes(train_scorer(examples))
    weights = fit(*confidence_rows(held_out), CONFIDENCE_FEATURES)
    document = {"weights": weights, "cross_validated": report}
    (out / CALIBRATION_FILE.name).write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name, figures in report.items():
        print(
            f"{name} (cross-validated, {figures['n']} questions): EM {figures['answer_em']:.3f}, "
            f"F1 {figures['answer_f1']:.3f}, answered {figures['answered']:.3f}, confident {figures['confident']:.3f}, "
            f"confident wrong {figures['confident_wrong']:.3f}, calibration error {figures['ece']:.3f}"
        )
    print(f"models → {out}")
    return 0


# The public sets the fusion weights are fitted on, each at the passage size it is evaluated at (None: the default).
FUSION_SETS = (
    ("cmrc2018_trial.json", None),
    ("drcd_test.json", None),
    ("xquad_zh2zh_public.json", 250),
    ("xquad_en2zh_public.json", 250),
    ("seed_questions.jsonl", None),
)


def fit_fusion_main(argv: Sequence[str] | None = None) -> int:
    from retriever.config import FUSION_FILE

    parser = argparse.ArgumentParser(
        description="Fit weighted fusion's dense weight per question language on the public question sets, report "
        "cross-validated figures per set, and write them with the weights."
    )
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        help="seed JSONL and/or SQuAD files, at --chunk-max-chars (default: the public CMRC trial, DRCD test and "
        "seed sets at default passages, and XQuAD in both languages at 250 characters, from data/eval)",
    )
    parser.add_argument("--chunk-max-chars", type=int, help="passage size for --questions")
    parser.add_argument("--out", type=Path, default=FUSION_FILE, help=f"where to write (default: {FUSION_FILE})")
    return _run(_fit_fusion, parser, argv)


def _fit_fusion(args: argparse.Namespace) -> int:
    from retriever.config import PROJECT_ROOT
    from retriever.embed import Encoder
    from retriever.evaluate import load_question_set
    from retriever.fusion_fitting import fit_fusion, trials_of

    sets = [(path, args.chunk_max_chars) for path in args.questions or ()] or [
        (PROJECT_ROOT / "data" / "eval" / name, chunk_max_chars) for name, chunk_max_chars in FUSION_SETS
    ]
    encoder = Encoder.from_settings(Settings())
    trials = []
    for path, chunk_max_chars in sets:
        settings = _settings(chunk_max_chars=chunk_max_chars)
        question_set = load_question_set(path)
        documents = question_set.documents_or(settings.corpus_dir, settings.max_file_bytes)
        searcher = _cached_searcher(documents, settings, encoder)
        trials += trials_of(searcher, question_set.questions, path.name)
    fitted = fit_fusion(trials)
    args.out.write_text(json.dumps(fitted, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("fitted dense weight: " + ", ".join(f"{language} {alpha}" for language, alpha in fitted["alpha"].items()))
    for name, figures in fitted["cross_validated"].items():
        print(
            f"{name}: {figures['n']} questions, cross-validated hit@1 {figures['hit@1']:.3f} "
            f"MRR@10 {figures['mrr@10']:.3f} (in-sample {figures['in_sample_hit@1']:.3f} / "
            f"{figures['in_sample_mrr@10']:.3f}; fold weights {figures['fold_alphas']})"
        )
    print(f"weights → {args.out}")
    return 0
