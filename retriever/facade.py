"""The library's public face: build or open an index, search it, ask it questions.

>>> from retriever import Retriever
>>> library = Retriever.build("articles/", "index/articles")      # or Retriever.open("index/articles")
>>> hit = library.search("土右旗脱贫了多少户？", top_k=3)[0]
>>> hit.doc_id, hit.title, hit.score, hit.text
>>> answer = library.ask("How many households did Tumed Right Banner lift out of poverty?")
>>> answer.answer, answer.confidence, answer.sentence, answer.evidence
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retriever.answers.answer import Answer, answer_question
from retriever.config import SearchMode, Settings, settings_for
from retriever.errors import CorpusError
from retriever.indexes.backend import Filters
from retriever.indexes.changes import build_keeping_uploads, change_documents
from retriever.indexes.manifest import Manifest
from retriever.indexes.seam import cached_index
from retriever.model.embed import Encoder
from retriever.query.expand import QueryPlan
from retriever.ranking.search import Searcher, SearchHit
from retriever.reading.documents import Document, Passage
from retriever.reading.ingest import RawDocument

if TYPE_CHECKING:
    from retriever.reading.loader import LoadReport

IndexTarget = str | Path
"""An index directory, or a Milvus URI: ``http(s)://``, ``tcp://`` or ``unix:`` for a server, a path ending in
``.db`` for Milvus Lite."""


class Retriever:
    """One loaded index and the encoder that reads it: safe to share between threads, load once.

    Settings are the fields of :class:`retriever.config.Settings`, as keyword arguments (e.g. ``chunk_max_chars``,
    ``fusion_alpha``, ``milvus_collection``); unset ones come from ``RETRIEVER_*`` environment variables, then the
    defaults.
    """

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    @classmethod
    def open(cls, index: IndexTarget | None = None, *, encoder: Encoder | None = None, **settings: Any) -> Retriever:
        """Open the index at ``index`` (default: the configured one).

        Raises :class:`retriever.errors.IndexLoadError` when it is missing, damaged, or built with another model
        or text normaliser than these settings use.
        """
        return cls.from_settings(settings_for(index, settings), encoder)

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder | None = None) -> Retriever:
        """Open the index ``settings`` point at, sharing ``encoder`` when one is loaded already."""
        return cls(Searcher.from_settings(settings, encoder))

    @classmethod
    def build(
        cls,
        corpus_dir: str | Path | None = None,
        index: IndexTarget | None = None,
        *,
        full: bool = False,
        show_progress: bool = True,
        report: LoadReport | None = None,
        **settings: Any,
    ) -> Retriever:
        """Index the articles under ``corpus_dir`` (default: the configured corpus) into ``index`` (default: the
        configured index) and open it.

        An existing index is updated: unchanged passages keep their vectors. Documents added or deleted through
        :meth:`add_documents` and :meth:`delete_documents` stay added or deleted. Unreadable files are skipped with a
        warning and recorded in ``report``; a corpus with no readable article raises ``ValueError``.
        """
        from retriever.reading.loader import LoadReport, iter_corpus  # the file readers: only builds need them

        resolved = settings_for(index, settings)
        corpus = Path(corpus_dir) if corpus_dir is not None else resolved.corpus_dir
        report = report if report is not None else LoadReport()
        documents = list(iter_corpus(corpus, report, resolved.max_file_bytes))
        if not documents:
            raise CorpusError(f"no readable articles in {corpus}")
        encoder = Encoder.from_settings(resolved)
        build_keeping_uploads(documents, resolved, encoder, full=full, show_progress=show_progress)
        return cls.from_settings(resolved, encoder)

    @classmethod
    def over(cls, documents: Sequence[Document], settings: Settings, encoder: Encoder | None = None) -> Retriever:
        """A retriever over ``documents`` through an index kept in the cache, built the first time these documents
        and settings are seen (evaluation and training reuse it across runs)."""
        encoder = encoder or Encoder.from_settings(settings)
        return cls.from_settings(cached_index(documents, settings, encoder), encoder)

    def add_documents(self, documents: Sequence[RawDocument]) -> Retriever:
        """Add ``documents`` to the index, replacing those of the same ids, and return a retriever over the changed
        index. Over an index directory this one goes on answering from the index as it was; a Milvus collection
        changes in place, so this one sees the new passages too, with its old manifest and aliases.

        Only their new passages are embedded. They are recorded beside the index (``settings.uploads_dir``) so that
        every later build keeps them. Raises :class:`~retriever.errors.UnreadableDocument` for a document with no
        text after cleaning, and then changes nothing.
        """
        change_documents(self.settings, self.encoder, put=documents)
        return self.from_settings(self.settings, self.encoder)

    def delete_documents(self, doc_ids: Sequence[str]) -> Retriever:
        """Remove the documents ``doc_ids`` from the index (and from its later builds, even a corpus file's) and
        return a retriever over the changed index. Raises :class:`~retriever.errors.UnknownDocument` for an id the
        index does not hold, and then changes nothing."""
        change_documents(self.settings, self.encoder, delete=doc_ids)
        return self.from_settings(self.settings, self.encoder)

    @property
    def settings(self) -> Settings:
        return self.searcher.settings

    @property
    def encoder(self) -> Encoder:
        return self.searcher.encoder

    @property
    def manifest(self) -> Manifest:
        """What the index was built from and with: model, counts, chunking, build time."""
        return self.searcher.manifest

    @property
    def location(self) -> str:
        """Where the index lives, for people: a directory, or a Milvus URI and collection."""
        return self.searcher.backend.location

    @property
    def passages(self) -> int:
        return len(self.searcher.backend)

    def plan(self, query: str) -> QueryPlan:
        """How ``query`` is expanded before ranking: its language, place-name aliases and translations."""
        return self.searcher.expander.plan(query)

    def search(
        self,
        query: str,
        top_k: int = 5,
        mode: SearchMode = "hybrid",
        plan: QueryPlan | None = None,
        filters: Filters | None = None,
    ) -> list[SearchHit]:
        """The ``top_k`` best passages for ``query``, best first. Each hit has ``text``, ``doc_id``, ``title``,
        ``date``, ``source``, ``score`` (and the dense and lexical scores it was fused from), ``sentence`` and
        ``highlight``. ``plan`` is the query's expansion when already made (``self.plan(query)``); ``filters``
        (dates, source, document ids) keep the ranking to matching documents."""
        return self.searcher.search(query, top_k, mode, plan, filters)

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        """The answer to ``question`` as ``answer`` (``None`` when the evidence does not state it with at least
        the configured confidence), with ``confidence`` (0–1, calibrated), ``sentence`` (the one it was read from),
        ``highlight`` and ``evidence`` (the passages searched, from documents passing ``filters``)."""
        return answer_question(self.searcher, question, filters)

    def document(self, doc_id: str) -> Document | None:
        """The whole document ``doc_id``, or ``None`` when the index holds none."""
        return self.searcher.document(doc_id)

    def passages_of(self, doc_id: str) -> list[Passage]:
        """A document's passages in reading order (none for an unknown document)."""
        return self.searcher.passages_of(doc_id)
