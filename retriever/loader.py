"""Reading a corpus folder into documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from retriever.documents import Document

logger = logging.getLogger(__name__)

CORPUS_SUFFIXES = (".txt",)
TITLE_MAX_CHARS = 100


@dataclass
class LoadReport:
    """What a corpus load read and what it had to skip, with the reason per file."""

    loaded: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def guess_title(text: str) -> str:
    """The first non-empty line, which in news and web articles is the headline."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:TITLE_MAX_CHARS]
    return ""


def iter_corpus(corpus_dir: Path, report: LoadReport | None = None) -> Iterator[Document]:
    """Yield a document per readable UTF-8 text file under ``corpus_dir``, in path order.

    Files that cannot be decoded or hold no text are skipped with a warning that
    names them (and recorded in ``report``); they never stop the whole load.
    """
    report = report if report is not None else LoadReport()
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    for path in sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in CORPUS_SUFFIXES and p.is_file()):
        doc_id = path.relative_to(corpus_dir).with_suffix("").as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            reason = f"unreadable ({exc.__class__.__name__}: {exc})"
        else:
            if text.strip():
                report.loaded += 1
                yield Document(doc_id=doc_id, title=guess_title(text), text=text)
                continue
            reason = "empty"
        logger.warning("skipped %s: %s", path, reason)
        report.skipped[str(path)] = reason
