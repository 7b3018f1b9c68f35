"""Documents given to an index directly (over HTTP or through the Python API) rather than through the corpus folder.

They are kept as a folder of JSON records, one per document id ever uploaded or deleted, beside the index: a
record holds either the document as sent (its text before cleaning, and the metadata given with it) or the mark
that it was deleted. Every build of the index reads the corpus folder, then applies these records: an upload adds
its document or replaces the corpus file of the same id, a deletion removes the document. So uploads survive
restarts and rebuilds, and a deletion is not undone by the next build.

Writers of one index take its lock (an ``flock`` on ``.NAME.lock`` beside the folder ``NAME``), so an upload and a
build never interleave.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from retriever.config import MILVUS_SERVER_SCHEMES, Settings
from retriever.errors import DataFileError
from retriever.reading.documents import Document
from retriever.reading.ingest import RawDocument

logger = logging.getLogger(__name__)

RECORD_VERSION = 1


def uploads_folder(settings: Settings) -> Path:
    """Where the uploads of the index ``settings`` point at are kept."""
    if settings.uploads_dir is not None:
        return settings.uploads_dir
    if not settings.milvus_uri:
        index = settings.index_dir.absolute()
        return index.parent / f"{index.name}.uploads"
    if settings.milvus_uri.startswith(MILVUS_SERVER_SCHEMES):
        server = re.sub(r"\W+", "_", settings.milvus_uri).strip("_")
        return Path(platformdirs.user_data_dir("retriever")) / "uploads" / f"{server}_{settings.milvus_collection}"
    database = Path(settings.milvus_uri).expanduser().absolute()
    return database.parent / f"{database.name}.{settings.milvus_collection}.uploads"


class Uploads:
    """The upload records of one index."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of(cls, settings: Settings) -> Uploads:
        return cls(uploads_folder(settings))

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{hashlib.sha256(doc_id.encode()).hexdigest()[:32]}.json"

    def records(self) -> dict[str, RawDocument | None]:
        """The record of every document id uploaded or deleted: its document, or ``None`` where it was deleted."""
        if not self.folder.is_dir():
            return {}
        records = {}
        for path in sorted(self.folder.glob("*.json")):
            doc_id, document = self._read(path)
            records[doc_id] = document
        return records

    def _read(self, path: Path) -> tuple[str, RawDocument | None]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("deleted"):
                return record["doc_id"], None
            fields = {name: record.get(name) for name in ("title", "date", "source")}
            return record["doc_id"], RawDocument(record["doc_id"], record["text"], **fields)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataFileError(
                f"damaged upload record {path} ({exc}); fix or remove it (removing it drops that upload)"
            ) from exc

    def apply(self, documents: Sequence[Document]) -> list[Document]:
        """``documents`` (a corpus) with the uploads applied: the corpus documents without a record, then the
        uploaded documents (each replacing a corpus document of its id, if any); deleted ones are left out."""
        records = self.records()
        if not records:
            return list(documents)
        kept = [document for document in documents if document.doc_id not in records]
        uploaded = [raw.cleaned() for _, raw in sorted(records.items()) if raw is not None]
        logger.info(
            "uploads in %s: %d documents added or replacing corpus files, %d deleted",
            self.folder,
            len(uploaded),
            sum(raw is None for raw in records.values()),
        )
        return kept + uploaded

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the index's writer lock (waiting for another writer to finish)."""
        lock = self.folder.with_name(f".{self.folder.name}.lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def recording(self, put: Sequence[RawDocument], deleted: Sequence[str]) -> Iterator[None]:
        """Record ``put`` and the deletion of ``deleted`` for the duration of a change of the index, and restore
        the records as they were when the change fails, so that a failed upload leaves no trace."""
        self.folder.mkdir(parents=True, exist_ok=True)
        paths = [self._path(doc_id) for doc_id in [raw.doc_id for raw in put] + list(deleted)]
        before = {path: path.read_bytes() if path.exists() else None for path in paths}
        try:
            for raw in put:
                self._write(raw.doc_id, {"text": raw.text, "title": raw.title, "date": raw.date, "source": raw.source})
            for doc_id in deleted:
                self._write(doc_id, {"deleted": True})
            yield
        except BaseException:
            for path, content in before.items():
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    _write_atomically(path, content)
            raise

    def _write(self, doc_id: str, record: dict) -> None:
        recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"version": RECORD_VERSION, "doc_id": doc_id, **record, "recorded_at": recorded_at}
        _write_atomically(self._path(doc_id), json.dumps(record, ensure_ascii=False, indent=1).encode())


def _write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` in one step, flushed to disk: a crash leaves the old file or the new."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with staging.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
