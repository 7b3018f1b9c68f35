"""Request ids, one structured log line per request, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("api.access")

REQUEST_ID_HEADER = "x-request-id"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The app's own registry, so that several apps in one process (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to the end of the response.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.overloaded = Counter(
            "search_rejected_overload", "Requests refused with 503 because the search queue was full.",
            registry=self.registry,
        )
        self.reloads = Counter("index_reloads", "Index reloads, by outcome.", ["outcome"], registry=self.registry)
        self.passages = Gauge("index_passages", "Passages in the index being served.", registry=self.registry)
        self.documents = Gauge("index_documents", "Documents in the index being served.", registry=self.registry)
        self.in_flight = Gauge(
            "search_in_flight", "Searches running or waiting for a thread.", registry=self.registry
        )


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted under their own label; any other a client sends is counted as ``other``, so that clients
cannot create metric series without bound."""


def _method_of(scope: Scope) -> str:
    method = scope["method"]
    return method if method in KNOWN_METHODS else "other"


def _route_of(scope: Scope) -> str:
    """The matched route's template (``/documents/{doc_id:path}``), so labels stay few; unmatched paths share one."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            if _CLIENT_REQUEST_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Gives each HTTP request an id (the client's ``X-Request-ID`` when well-formed), returns it in the
    response headers, logs one JSON line when the response ends and records it in the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route_of(scope)
            method = _method_of(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(1000 * seconds, 2),
                    },
                    ensure_ascii=False,
                )
            )
