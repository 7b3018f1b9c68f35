"""The FastAPI application: loads the index once at start-up and mounts the routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routers import ask, documents, health, search
from retriever.answer import answer_question
from retriever.config import Settings, get_settings
from retriever.search import Searcher

logger = logging.getLogger(__name__)

# Touches every lazily loaded part (encoder, jieba, gazetteer, CC-CEDICT, part-of-speech tagger) before traffic.
WARM_UP_QUESTION = "Where was the poverty alleviation work of 包头市 carried out?"


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """The app; pass ``searcher`` to serve an already-loaded index (tests), else ``settings.index_dir`` loads at start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if searcher is None:
            resolved = settings or get_settings()
            app.state.searcher = Searcher.open(resolved.index_dir, resolved)
            logger.info("loaded index %s (%d passages)", resolved.index_dir, app.state.searcher.manifest.passages)
        else:
            app.state.searcher = searcher
        answer_question(app.state.searcher, WARM_UP_QUESTION)
        yield

    app = FastAPI(
        title="Chinese-first passage retrieval",
        description="Semantic and lexical search over Chinese (and English) articles, with answers and evidence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (health, search, ask, documents):
        app.include_router(module.router)
    return app
