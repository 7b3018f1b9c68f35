"""Documents and passages in one SQLite file inside the index directory, read on demand rather than held in RAM.

Passage row ``i`` is the passage with dense and lexical id ``i``. Each document carries the sha256 of its text, which
a rebuild compares to tell new, changed and unchanged documents apart.
"""

from __future__ import annotations

import json
import queue
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retriever.indexes.backend import Filters
from retriever.reading.documents import Document, Passage, content_hash

_SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, date TEXT, source TEXT,
    content_hash TEXT NOT NULL
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, passage_id TEXT NOT NULL, doc_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL
);
"""
_PASSAGE_INDEX = "CREATE INDEX passages_by_document ON passages (doc_id, position)"
_PASSAGE_COLUMNS = "passage_id, doc_id, position, start, end, text, title, section"
_DOCUMENT_COLUMNS = "doc_id, title, text, date, source"
_INSERT_BATCH = 10_000
CONNECTIONS = 8
"""Connections a loaded store keeps open: how many threads can read it at the same time."""


def write_store(
    path: Path, documents: Iterable[Document], passages: Sequence[Passage], show_progress: bool = False
) -> None:
    """Create the store at ``path`` (which must not exist); passage ``i`` of ``passages`` becomes row ``i``."""
    connection = sqlite3.connect(path)
    try:
        # A store is written once, into a staging directory that is thrown away on failure: no journal needed.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(_SCHEMA)
        connection.executemany(
            f"INSERT INTO documents ({_DOCUMENT_COLUMNS}, content_hash) VALUES (?, ?, ?, ?, ?, ?)",
            ((d.doc_id, d.title, d.text, d.date, d.source, content_hash(d.text)) for d in documents),
        )
        insert = f"INSERT INTO passages (row, {_PASSAGE_COLUMNS}) VALUES ({', '.join('?' * 9)})"
        with tqdm(total=len(passages), desc="passage store", unit="passage", disable=not show_progress) as progress:
            for first in range(0, len(passages), _INSERT_BATCH):
                batch = passages[first : first + _INSERT_BATCH]
                connection.executemany(
                    insert,
                    (
                        (first + i, p.passage_id, p.doc_id, p.position, p.start, p.end, p.text, p.title, p.section)
                        for i, p in enumerate(batch)
                    ),
                )
                progress.update(len(batch))
        connection.execute(_PASSAGE_INDEX)
        connection.commit()
    finally:
        connection.close()


class PassageStore:
    """Read-only access to a store, safe to share between threads: queries borrow one of a fixed set of
    connections, so up to ``CONNECTIONS`` threads read at once.

    Every connection is opened when the store is, so after a rebuild swaps a new index directory in, the store keeps
    reading the file this index was loaded with. The file is opened immutable: an index directory is never modified
    in place, so SQLite may skip all locking.
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"no passage store {path}")
        self.path = path
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for _ in range(CONNECTIONS):
            self._idle.put(sqlite3.connect(uri, uri=True, check_same_thread=False))
        last = self._query("SELECT max(row) FROM passages")[0][0]
        self._length = 0 if last is None else last + 1

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put(connection)

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        with self._connection() as connection:
            return connection.execute(sql, parameters).fetchall()

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, row: int) -> Passage:
        found = self._query(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE row = ?", (row,))
        if not found:
            raise IndexError(f"no passage {row} in {self.path} ({self._length} passages)")
        return Passage(*found[0])

    def get_many(self, rows: Sequence[int]) -> list[Passage]:
        """The passages of ``rows``, in that order, in one query."""
        wanted = [int(row) for row in rows]
        found = self._query(
            f"SELECT row, {_PASSAGE_COLUMNS} FROM passages WHERE row IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
        by_row = {record[0]: Passage(*record[1:]) for record in found}
        missing = [row for row in wanted if row not in by_row]
        if missing:
            raise IndexError(f"no passage {missing[0]} in {self.path} ({self._length} passages)")
        return [by_row[row] for row in wanted]

    def __iter__(self) -> Iterator[Passage]:
        """Every passage in row order, streamed (holding one connection until the iteration ends)."""
        with self._connection() as connection:
            for record in connection.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages ORDER BY row"):
                yield Passage(*record)

    def document(self, doc_id: str) -> Document | None:
        found = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,))
        return Document(*found[0]) if found else None

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The documents of ``doc_ids`` that exist, by id, in one query."""
        found = self._query(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(doc_ids), ensure_ascii=False),),
        )
        return {record[0]: Document(*record) for record in found}

    def all_documents(self) -> list[Document]:
        """Every document, in the order the build wrote them."""
        return [Document(*record) for record in self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY rowid")]

    def rows_matching(self, filters: Filters) -> np.ndarray:
        """The rows of the passages whose documents pass ``filters``, ascending."""
        conditions, parameters = ["1"], []
        if filters.date_from:
            conditions.append("d.date >= ?")
            parameters.append(filters.date_from.isoformat())
        if filters.date_to:
            conditions.append("d.date < ?")
            parameters.append(filters.day_after_to)
        if filters.source:
            conditions.append("d.source = ?")
            parameters.append(filters.source)
        if filters.doc_ids:
            conditions.append("d.doc_id IN (SELECT value FROM json_each(?))")
            parameters.append(json.dumps(list(filters.doc_ids)))
        rows = self._query(
            f"SELECT p.row FROM passages p JOIN documents d ON p.doc_id = d.doc_id WHERE {' AND '.join(conditions)} "
            "ORDER BY p.row",
            parameters,
        )
        return np.fromiter((row for (row,) in rows), dtype=np.int64, count=len(rows))

    def passages_of(self, doc_id: str) -> list[Passage]:
        """A document's passages in reading order (none for an unknown document)."""
        found = self._query(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = ? ORDER BY position", (doc_id,)
        )
        return [Passage(*record) for record in found]

    def document_hashes(self) -> dict[str, str]:
        """The content hash of every document, by id."""
        return dict(self._query("SELECT doc_id, content_hash FROM documents"))
