"""The loaded index the API serves, replaced whole when an operator reloads it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from retriever import Retriever, Settings

logger = logging.getLogger(__name__)

WARM_UP_QUESTION = "Where was the poverty alleviation work of 包头市 carried out?"
"""Touches every lazily loaded part (encoder, jieba, gazetteer, CC-CEDICT, part-of-speech tagger) before traffic."""


def warm_up(retriever: Retriever, for_uploads: bool = False) -> None:
    """Answer a question once; ``for_uploads`` also loads the passage encoder (torch), which only uploads use."""
    retriever.ask(WARM_UP_QUESTION)
    if for_uploads:
        retriever.encoder.encode_passages([WARM_UP_QUESTION])


class IndexSlot:
    """Holds the current :class:`Retriever`.

    A request reads :attr:`retriever` once and uses that object to the end, and a reload replaces the
    reference only after the new index has loaded and warmed up, so no request ever sees two indexes
    or a half-loaded one, and a failed reload leaves the old index serving.
    """

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._lock = threading.Lock()

    def reload(self, settings: Settings) -> tuple[Retriever, float]:
        """Load the index ``settings`` point at afresh (sharing the loaded encoder) and swap it in; returns it and
        the seconds taken.

        Raises :class:`retriever.errors.IndexLoadError` when the directory cannot serve; the old index stays.
        """
        started = time.perf_counter()
        fresh = self.change(lambda current: Retriever.from_settings(settings, encoder=current.encoder))
        seconds = time.perf_counter() - started
        logger.info("reloaded index %s (%d passages) in %.2f s", fresh.location, fresh.manifest.passages, seconds)
        return fresh, seconds

    def change(self, change: Callable[[Retriever], Retriever]) -> Retriever:
        """Apply ``change`` to the served retriever (it returns one over the changed or reloaded index) and swap the
        result in once warmed up; changes and reloads run one at a time. Raises what ``change`` raises, leaving the
        old index serving."""
        with self._lock:
            fresh = change(self.retriever)
            warm_up(fresh)
            self.retriever = fresh
            return fresh
