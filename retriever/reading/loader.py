"""Reading a corpus folder into clean documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from retriever.errors import CorpusNotFound
from retriever.reading.documents import Document
from retriever.reading.formats import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, UnreadableDocument, read_text
from retriever.reading.ingest import clean_document

logger = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What a corpus load read and what it had to skip, with the reason per file."""

    loaded: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files of a supported format under ``corpus_dir``, in path order."""
    if not corpus_dir.is_dir():
        raise CorpusNotFound(f"corpus folder not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file())


def iter_corpus(
    corpus_dir: Path, report: LoadReport | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Document]:
    """Yield a clean document per readable file under ``corpus_dir``, in path order.

    Files that cannot be read, hold no text or exceed ``max_bytes`` are skipped with a warning that names them
    (and recorded in ``report``); they never stop the whole load.
    """
    report = report if report is not None else LoadReport()
    seen: set[str] = set()
    for path in corpus_files(corpus_dir):
        doc_id = path.relative_to(corpus_dir).with_suffix("").as_posix()
        if doc_id in seen:
            reason = f"another file already has the document id {doc_id!r}"
            logger.warning("skipped %s: %s", path, reason)
            report.skipped[str(path)] = reason
            continue
        seen.add(doc_id)
        try:
            document = clean_document(doc_id, read_text(path, max_bytes))
        except UnreadableDocument as exc:
            reason = str(exc)
        else:
            if document.text:
                report.loaded += 1
                yield document
                continue
            reason = "no text after cleaning"
        logger.warning("skipped %s: %s", path, reason)
        report.skipped[str(path)] = reason
