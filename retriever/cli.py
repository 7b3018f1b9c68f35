"""The ``retriever`` command: build an index, add and delete documents, serve it, search it, ask it, evaluate it,
calibrate the models.

Run ``retriever --help`` or ``retriever COMMAND --help``. Errors a user can fix end the command with one line on
stderr (``error: …``) and exit status 2, never a traceback.
"""

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

from retriever.config import Settings, settings_for
from retriever.errors import RetrieverError, UsageError

if TYPE_CHECKING:
    from retriever.facade import Retriever
    from retriever.ranking.search import SearchHit
    from retriever.reading.documents import Document

EVAL_DIR = Path("data") / "eval"
"""Where ``calibrate`` looks for the public question sets by default: a checkout's ``data/eval``."""

READER_SETS = ("cmrc2018_trial.json", "drcd_test.json", "seed_questions.jsonl")
"""The public sets the answer reader is trained on."""

FUSION_SETS = (
    ("cmrc2018_trial.json", None),
    ("drcd_test.json", None),
    ("xquad_zh2zh_public.json", 250),
    ("xquad_en2zh_public.json", 250),
    ("seed_questions.jsonl", None),
)
"""The public sets the fusion weights are fitted on, each at the passage size it is evaluated at (None: default)."""

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``retriever`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    try:
        return args.command(args)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (RetrieverError, OSError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2


class LevelByOrigin(logging.Filter):
    """One threshold for the project's own loggers and another for every library's, applied where records are
    printed: some libraries (bm25s) force their loggers to DEBUG when imported."""

    def __init__(self, own: int, others: int) -> None:
        super().__init__()
        self.own, self.others = own, others

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name.split(".", 1)[0] in OWN_LOGGERS
        return record.levelno >= (self.own if own else self.others)


OWN_LOGGERS = ("retriever", "api")


def configure_logging(verbosity: int) -> None:
    """The project's own progress at INFO, other libraries' warnings; ``-v`` shows everything at INFO, ``-vv`` at
    DEBUG, ``-q`` only warnings."""
    own = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 1 else logging.INFO
    others = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity == 1 else logging.WARNING
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(LevelByOrigin(own, others))
    logging.basicConfig(level=min(own, others), handlers=[handler], force=True)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's parser must not reset what was counted before its name.
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more log output (-vv: debug)"
    )
    common.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS, help="only warnings and errors")
    index = argparse.ArgumentParser(add_help=False)
    index.add_argument(
        "--index",
        help="index directory, or Milvus URI (http://host:19530, or a Milvus Lite file ending in .db); "
        "default: RETRIEVER_INDEX_DIR, or RETRIEVER_MILVUS_URI when set",
    )
    parser = argparse.ArgumentParser(
        prog="retriever",
        description="Chinese-first passage search and question answering over a folder of articles.",
        parents=[common],
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(
        group: Any, name: str, run: Command, help: str, *parents: argparse.ArgumentParser, description: str = ""
    ) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=description or help, parents=[common, *parents])
        sub.set_defaults(command=run)
        return sub

    build = command(
        commands,
        "build",
        run_build,
        "Index a folder of articles (.txt .md .html .pdf .docx).",
        index,
        description="Index a folder of articles (.txt .md .html .pdf .docx), then apply the documents uploaded to "
        "and deleted from this index over HTTP or the Python API (kept beside it, in NAME.uploads).",
    )
    build.add_argument("--corpus", type=Path, help="folder of articles (default: RETRIEVER_CORPUS_DIR, the sample)")
    build.add_argument("--out", type=Path, dest="out", help="same as --index with a directory")
    build.add_argument("--chunk-max-chars", type=int, help="longest passage in characters (default 400)")
    build.add_argument("--model", help="embedding model name or path (default: the bundled multilingual-e5-small)")
    build.add_argument(
        "--full",
        action="store_true",
        help="Milvus: build a new collection and move the alias to it, instead of updating the live one in place",
    )

    add = command(
        commands,
        "add",
        run_add,
        "Add documents to an index, or replace the ones with their ids.",
        index,
        description="Add files (.txt .md .html .pdf .docx) to an index, or replace the documents with their ids: "
        "only their passages are embedded. They are kept beside the index (NAME.uploads), so later builds keep "
        "them; a server already serving the index sees them after POST /admin/reload.",
    )
    add.add_argument("files", type=Path, nargs="+", help="the documents' files")
    add.add_argument("--doc-id", help="the document's id (one file only; default: the file's name without suffix)")
    add.add_argument("--title", help="the title (default: read from the text's head)")
    add.add_argument("--date", help="the publication day, YYYY-MM-DD (default: read from the text's head)")
    add.add_argument("--source", help="the publisher (default: read from the text's head)")
    delete = command(
        commands,
        "delete",
        run_delete,
        "Remove documents from an index; later builds leave them out too.",
        index,
        description="Remove documents from an index, corpus files included: later builds leave them out too (the "
        "deletion is kept beside the index, in NAME.uploads). A server already serving the index sees it after "
        "POST /admin/reload.",
    )
    delete.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="the documents' ids")

    serve = command(
        commands, "serve", run_serve, "Serve the HTTP API and search page (builds the index first if missing).", index
    )
    serve.add_argument(
        "--host", default=os.environ.get("HOST", "127.0.0.1"), help="address (default: HOST or 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port (default: PORT or 8000)"
    )

    search = command(commands, "search", run_search, "Print the passages that best answer a query.", index)
    search.add_argument("query", help="question or keywords, in Chinese or English")
    search.add_argument("-k", "--top-k", type=int, default=5, help="how many passages (default 5)")
    search.add_argument(
        "--mode", choices=["hybrid", "dense", "lexical"], default="hybrid", help="ranking (default hybrid)"
    )
    search.add_argument("--json", action="store_true", help="print JSON instead of text")

    ask = command(commands, "ask", run_ask, "Answer a question from the index, with its evidence.", index)
    ask.add_argument("question", help="the question, in Chinese or English")
    ask.add_argument("--json", action="store_true", help="print JSON instead of text")

    evaluate = command(commands, "evaluate", run_evaluate, "Evaluate retrieval (and answers) on a question set.")
    evaluate.add_argument("--questions", type=Path, required=True, help="seed JSONL or SQuAD-format JSON file")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, help="folder of articles for seed questions (default: the sample)")
    source.add_argument("--index", help="an existing index (directory or Milvus URI) instead of one built for the set")
    evaluate.add_argument(
        "--distractors",
        type=Path,
        help="more documents to index beside the corpus: a folder of articles or a SQuAD file's paragraphs",
    )
    evaluate.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid", help="ranking")
    evaluate.add_argument("--chunk-max-chars", type=int, help="passage size of the index built for the set")
    evaluate.add_argument("--fusion", choices=["weighted", "rrf"], help="fusion method (default weighted)")
    evaluate.add_argument(
        "--alpha", type=float, help="dense weight of weighted fusion, both languages (default: fitted)"
    )
    evaluate.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    evaluate.add_argument(
        "--answers",
        action="store_true",
        help="also answer every question as POST /ask does: answer_em, answer_f1, answered, confident, confident_wrong",
    )
    evaluate.add_argument(
        "--per-question",
        type=Path,
        help='write one JSON object a line: {"id", "rank", "ms"}, and "answer", "confidence" with --answers',
    )

    calibrate = commands.add_parser("calibrate", help="Fit what the system learns, on question sets.", parents=[common])
    targets = calibrate.add_subparsers(title="what to fit", metavar="TARGET", required=True)
    reader = command(
        targets,
        "reader",
        run_calibrate_reader,
        "train the answer span scorer and its confidence; report cross-validated figures per set",
        description="Train the answer span scorer and its confidence on question sets, report cross-validated "
        "figures per set, and write the models.",
    )
    reader.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        help=f"seed JSONL and/or SQuAD files (default: {', '.join(READER_SETS)} in {EVAL_DIR})",
    )
    reader.add_argument("--corpus", type=Path, help="corpus of seed-format questions (default: the sample)")
    reader.add_argument("--out", type=Path, help="folder for the models (default: the package's data/reader)")
    fusion = command(
        targets,
        "fusion",
        run_calibrate_fusion,
        "fit weighted fusion's dense weight per question language; report cross-validated figures per set",
        description="Fit weighted fusion's dense weight per question language on question sets, report "
        "cross-validated figures per set, and write them with the weights.",
    )
    fusion.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        help=f"seed JSONL and/or SQuAD files, at --chunk-max-chars (default: the public sets in {EVAL_DIR}: CMRC, "
        "DRCD and seed at default passages, XQuAD in both languages at 250 characters)",
    )
    fusion.add_argument("--chunk-max-chars", type=int, help="passage size for --questions")
    fusion.add_argument("--out", type=Path, help="where to write (default: the package's data/fusion.json)")
    return parser


def _open(args: argparse.Namespace) -> Retriever:
    from retriever.facade import Retriever

    return Retriever.open(args.index)


def run_build(args: argparse.Namespace) -> int:
    from retriever.facade import Retriever
    from retriever.reading.loader import LoadReport

    if args.out and args.index:
        raise UsageError("--out and --index name the same thing: give one")
    report = LoadReport()
    started = time.perf_counter()
    library = Retriever.build(
        args.corpus,
        args.index or args.out,
        full=args.full,
        report=report,
        chunk_max_chars=args.chunk_max_chars,
        model=args.model,
    )
    seconds = time.perf_counter() - started
    manifest = library.manifest
    changes = manifest.extra["document_changes"]
    print(
        f"indexed {manifest.documents} documents into {manifest.passages} passages in {seconds:.1f} s "
        f"({manifest.passages / seconds:.1f} passages/s, {manifest.extra['reused_vectors']} vectors reused; documents: "
        f"{changes['new']} new, {changes['changed']} changed, {changes['removed']} removed, {changes['unchanged']} "
        f"unchanged); skipped {len(report.skipped)} file(s) → {library.location}"
    )
    for path, reason in report.skipped.items():
        print(f"  skipped {path}: {reason}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from retriever.reading.ingest import RawDocument

    if args.doc_id and len(args.files) > 1:
        raise UsageError("--doc-id names one document: give one file")
    library = _open(args)
    limit = library.settings.max_file_bytes
    metadata = {"title": args.title, "date": args.date, "source": args.source}
    documents = []
    for path in args.files:
        with path.open("rb") as file:
            data = file.read(limit + 1)
        documents.append(RawDocument.from_file(path.name, data, limit, args.doc_id, **metadata))
    changed = library.add_documents(documents)
    for document in documents:
        passages = len(changed.passages_of(document.doc_id))
        print(f"added {document.doc_id}: {passages} passage{'' if passages == 1 else 's'}")
    _print_changed(changed)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    changed = _open(args).delete_documents(args.doc_ids)
    print(f"deleted {', '.join(args.doc_ids)}")
    _print_changed(changed)
    return 0


def _print_changed(library: Retriever) -> None:
    manifest = library.manifest
    print(
        f"{library.location}: {manifest.documents} documents, {manifest.passages} passages "
        f"({manifest.extra['reused_vectors']} vectors reused); a server already serving it sees the change after "
        "POST /admin/reload"
    )


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app
    from retriever.facade import Retriever
    from retriever.indexes.seam import index_exists, index_location

    settings = settings_for(args.index, {})
    if index_exists(settings):
        library = Retriever.from_settings(settings)
    else:
        print(f"no index in {index_location(settings)}: building it from {settings.corpus_dir}", file=sys.stderr)
        library = Retriever.build(settings.corpus_dir, args.index)
    uvicorn.run(create_app(library.settings, retriever=library), host=args.host, port=args.port, access_log=False)
    return 0


def hit_record(hit: SearchHit) -> dict[str, Any]:
    """A search hit as the JSON the command prints."""
    return {
        "passage_id": hit.passage_id,
        "doc_id": hit.doc_id,
        "title": hit.title,
        "date": hit.date,
        "source": hit.source,
        "score": round(hit.score, 6),
        "text": hit.text,
        "sentence": hit.sentence,
    }


def _print_hits(hits: Sequence[SearchHit]) -> None:
    for rank, hit in enumerate(hits, 1):
        dated = f" ({hit.date})" if hit.date else ""
        print(f"{rank}. [{hit.score:.3f}] {hit.doc_id} · {hit.title}{dated}")
        print(f"   {hit.sentence}")


def run_search(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise UsageError("the query is empty")
    if args.top_k < 1:
        raise UsageError(f"--top-k must be at least 1 (got {args.top_k})")
    hits = _open(args).search(args.query, args.top_k, args.mode)
    if args.json:
        print(
            json.dumps(
                {"query": args.query, "results": [hit_record(hit) for hit in hits]}, ensure_ascii=False, indent=2
            )
        )
    elif hits:
        _print_hits(hits)
    else:
        print("no passage matches")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    if not args.question.strip():
        raise UsageError("the question is empty")
    answer = _open(args).ask(args.question)
    if args.json:
        record = {
            "question": args.question,
            "answer": answer.answer,
            "confidence": answer.confidence,
            "confident": answer.confident,
            "sentence": answer.sentence,
            "evidence": [hit_record(hit) for hit in answer.evidence],
        }
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    if answer.answer is not None:
        print(f"answer: {answer.answer}  (confidence {answer.confidence:.2f}{'' if answer.confident else ', unsure'})")
    else:
        print(f"no answer stated with confidence (best {answer.confidence:.2f}); the evidence:")
    if answer.sentence:
        print(f"from: {answer.sentence}")
    _print_hits(answer.evidence)
    return 0


def _documents_of(source: Path, settings: Settings) -> list[Document]:
    """The documents of a corpus folder, or the paragraphs of a SQuAD-format file."""
    from retriever.evaluation.evaluate import load_squad
    from retriever.reading.loader import iter_corpus

    if source.is_dir():
        return list(iter_corpus(source, max_bytes=settings.max_file_bytes))
    return load_squad(source).documents


def run_evaluate(args: argparse.Namespace) -> int:
    from retriever.evaluation.evaluate import Asked, evaluate, format_report, load_question_set
    from retriever.facade import Retriever

    settings = settings_for(
        args.index,
        {
            "chunk_max_chars": args.chunk_max_chars,
            "fusion": args.fusion,
            "fusion_alpha": args.alpha,
            "fusion_alpha_english": args.alpha,
        },
    )
    question_set = load_question_set(args.questions)
    if args.index:
        if args.chunk_max_chars or args.distractors:
            raise UsageError("--chunk-max-chars and --distractors apply when building; an existing --index is as built")
        library = Retriever.from_settings(settings)
    else:
        documents = question_set.documents_or(args.corpus or settings.corpus_dir, settings.max_file_bytes)
        if args.distractors:
            documents += _documents_of(args.distractors, settings)
        library = Retriever.over(documents, settings)

    def ask(question: str) -> Asked:
        answer = library.ask(question)
        return Asked(answer.answer, answer.confidence)

    started = time.perf_counter()
    report = evaluate(
        question_set.questions,
        lambda question, depth: [hit.passage for hit in library.search(question, depth, args.mode)],
        ask=ask if args.answers else None,
    )
    seconds = time.perf_counter() - started
    manifest = library.manifest
    chars = manifest.extra.get("passage_chars")
    mean_chars = chars / library.passages if chars is not None and library.passages else None
    size = f"mean {mean_chars:.0f} chars, " if mean_chars is not None else ""
    print(
        f"{args.questions.name}: {report['n']} questions, mode {args.mode}, {library.passages} passages "
        f"({size}max {manifest.chunking['max_chars']} chars) in {library.location}, "
        f"{1000 * seconds / max(report['n'], 1):.1f} ms/question" + (", with answers" if args.answers else "")
    )
    print(format_report(report))
    if args.per_question:
        rows = (json.dumps(result.row(args.answers), ensure_ascii=False) for result in report["questions"])
        args.per_question.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    if args.json_out:
        figures = {key: value for key, value in report.items() if key != "questions"}
        figures.update(mode=args.mode, passages=library.passages, backend=library.location)
        if mean_chars is not None:
            figures["mean_passage_chars"] = round(mean_chars, 1)
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def run_calibrate_reader(args: argparse.Namespace) -> int:
    from retriever.answers.answer import CALIBRATION_FILE
    from retriever.answers.calibration import fit
    from retriever.answers.reader import CONFIDENCE_FEATURES, READER_MODEL
    from retriever.evaluation.evaluate import load_question_set
    from retriever.evaluation.reader_training import (
        confidence_rows,
        cross_validated_report,
        examples_of,
        held_out_confidences,
        held_out_readings,
        train_scorer,
    )
    from retriever.facade import Retriever
    from retriever.model.embed import Encoder

    settings = Settings()
    encoder = Encoder.from_settings(settings)
    examples = []
    for path in args.questions or [EVAL_DIR / name for name in READER_SETS]:
        question_set = load_question_set(path)
        documents = question_set.documents_or(args.corpus or settings.corpus_dir, settings.max_file_bytes)
        library = Retriever.over(documents, settings, encoder)
        examples += examples_of(library.searcher, question_set.questions, path.name)
    held_out = held_out_readings(examples)
    confidences = held_out_confidences(examples, held_out)
    report = cross_validated_report(examples, held_out, confidences, settings.answer_min_confidence)
    out = args.out or READER_MODEL.parent
    out.mkdir(parents=True, exist_ok=True)
    (out / READER_MODEL.name).write_bytes(train_scorer(examples))
    weights = fit(*confidence_rows(held_out), CONFIDENCE_FEATURES)
    document = {"weights": weights, "cross_validated": report}
    (out / CALIBRATION_FILE.name).write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    for name, figures in report.items():
        print(
            f"{name} (cross-validated, {figures['n']} questions): EM {figures['answer_em']:.3f}, "
            f"F1 {figures['answer_f1']:.3f}, answered {figures['answered']:.3f}, confident {figures['confident']:.3f}, "
            f"confident wrong {figures['confident_wrong']:.3f}, calibration error {figures['ece']:.3f}"
        )
    print(f"models → {out}")
    return 0


def run_calibrate_fusion(args: argparse.Namespace) -> int:
    from retriever.config import FUSION_FILE
    from retriever.evaluation.evaluate import load_question_set
    from retriever.evaluation.fusion_fitting import fit_fusion, trials_of
    from retriever.facade import Retriever
    from retriever.model.embed import Encoder

    sets = [(path, args.chunk_max_chars) for path in args.questions or ()] or [
        (EVAL_DIR / name, chunk_max_chars) for name, chunk_max_chars in FUSION_SETS
    ]
    out = args.out or FUSION_FILE
    encoder = Encoder.from_settings(Settings())
    trials = []
    for path, chunk_max_chars in sets:
        settings = settings_for(None, {"chunk_max_chars": chunk_max_chars})
        question_set = load_question_set(path)
        documents = question_set.documents_or(settings.corpus_dir, settings.max_file_bytes)
        library = Retriever.over(documents, settings, encoder)
        trials += trials_of(library.searcher, question_set.questions, path.name)
    fitted = fit_fusion(trials)
    out.write_text(json.dumps(fitted, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("fitted dense weight: " + ", ".join(f"{language} {alpha}" for language, alpha in fitted["alpha"].items()))
    for name, figures in fitted["cross_validated"].items():
        print(
            f"{name}: {figures['n']} questions, cross-validated hit@1 {figures['hit@1']:.3f} "
            f"MRR@10 {figures['mrr@10']:.3f} (in-sample {figures['in_sample_hit@1']:.3f} / "
            f"{figures['in_sample_mrr@10']:.3f}; fold weights {figures['fold_alphas']})"
        )
    print(f"weights → {out}")
    return 0
