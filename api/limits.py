"""Request bodies beyond a size limit are refused with 413 before the app reads them whole."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retriever import Settings

FORM_OVERHEAD_BYTES = 64 * 1024


def upload_body_bytes(settings: Settings) -> int:
    """The largest POST /documents body: a document at the upload limit, written as JSON with every character
    escaped (\\uXXXX doubles UTF-8's size) or as a file with its form fields."""
    return 2 * settings.max_upload_bytes + FORM_OVERHEAD_BYTES


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimitMiddleware:
    """Answers 413 when ``Content-Length`` exceeds the limit, or when a body sent without one grows past it; the
    app then sees the client gone, and whatever it answers is dropped. The limit is ``max_bytes``, or for a path
    in ``larger`` (uploads) its own."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not refused:
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, unless_refused)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {"error": {"code": "body_too_large", "message": f"request body is larger than {limit} bytes"}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
