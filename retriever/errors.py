"""The errors the library raises for conditions a user can fix, under one base class.

Each message says what is wrong and what to do about it. Every error also derives from the built-in exception
its kind has always been (``ValueError``, ``RuntimeError``, ``FileNotFoundError``), so ``except`` clauses written
for those keep working.
"""

from __future__ import annotations


class RetrieverError(Exception):
    """Base of every error the library raises on purpose."""


class IndexLoadError(RetrieverError, RuntimeError):
    """An index (a directory or a Milvus collection) that is missing, damaged, or built for other settings."""


class BackendUnavailable(RetrieverError, RuntimeError):
    """The index's store cannot answer right now (a Milvus server down or unreachable); the request may be retried."""


class IndexChanged(BackendUnavailable):
    """An index updated in place (a Milvus collection) lost a passage or document while a search was using it;
    searching again sees the update whole."""


class CorpusError(RetrieverError, ValueError):
    """A corpus that cannot be indexed: no readable article in it."""


class CorpusNotFound(CorpusError, FileNotFoundError):
    """A corpus folder that does not exist."""


class QuestionSetError(RetrieverError, ValueError):
    """A question file that is missing or not in a supported format."""


class ModelError(RetrieverError, RuntimeError):
    """The embedding model cannot be found, converted or loaded."""


class DataFileError(RetrieverError, ValueError):
    """A data file the library reads (gazetteer, glossary, dictionary, learned models) that is malformed or missing."""


class UsageError(RetrieverError, ValueError):
    """Options or arguments that do not go together."""


class UnreadableDocument(RetrieverError, ValueError):
    """A document that cannot be indexed: no text can be read from it (damaged, empty, not text at all), none is
    left after cleaning, or its id or date is unusable."""


class UnsupportedFormat(UnreadableDocument):
    """A file whose name ends in no suffix the readers know."""


class DocumentTooLarge(UnreadableDocument):
    """A file over the configured size limit."""


class UnknownDocument(RetrieverError, LookupError):
    """A document id the index does not hold."""
