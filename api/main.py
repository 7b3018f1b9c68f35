"""The FastAPI application: loads the index once at start-up, then serves it until a reload swaps it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.index_slot import IndexSlot, warm_up
from api.limits import BodySizeLimitMiddleware, upload_body_bytes
from api.observability import Metrics, RequestLogMiddleware
from api.openapi import state_limits
from api.pool import SearchPool
from api.routers import admin, ask, documents, health, metrics, search
from api.routers.page import mount_page
from retriever import Retriever, Settings
from retriever.config import get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, retriever: Retriever | None = None) -> FastAPI:
    """The app; pass ``retriever`` to serve an already-loaded index, else the index ``settings`` point at loads at start."""
    settings = settings or get_settings()
    app_metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = retriever or Retriever.from_settings(settings)
        warm_up(loaded, for_uploads=settings.admin_token is not None)
        slot = IndexSlot(loaded)
        pool = SearchPool(settings.search_threads, settings.queue_limit)
        app.state.slot, app.state.pool = slot, pool
        app_metrics.passages.set_function(lambda: slot.retriever.manifest.passages)
        app_metrics.documents.set_function(lambda: slot.retriever.manifest.documents)
        app_metrics.in_flight.set_function(lambda: pool.in_flight)
        logger.info("serving index %s (%d passages)", loaded.location, loaded.manifest.passages)
        try:
            yield
        finally:
            pool.shutdown()

    app = FastAPI(
        title="Chinese-first passage retrieval",
        description="Semantic and lexical search over Chinese (and English) articles, with answers and evidence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings, app.state.metrics = settings, app_metrics
    install_error_handlers(app)
    state_limits(app, settings)
    for module in (health, search, ask, documents, admin, metrics):
        app.include_router(module.router)
    mount_page(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, larger={"/documents": upload_body_bytes(settings)}
    )
    app.add_middleware(RequestLogMiddleware, metrics=app_metrics)
    return app
