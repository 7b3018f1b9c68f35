"""What routes receive by injection: the loaded searcher and validated inputs."""

from __future__ import annotations

from fastapi import Request

from api.errors import InvalidInput
from retriever.config import Settings
from retriever.search import Searcher


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


def checked_text(text: str, settings: Settings, field: str) -> str:
    """Strip a query and enforce the configured length limit."""
    text = text.strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty or whitespace only")
    if len(text) > settings.max_query_chars:
        raise InvalidInput(f"{field}: longer than {settings.max_query_chars} characters ({len(text)})")
    return text


def checked_top_k(top_k: int | None, settings: Settings) -> int:
    if top_k is None:
        return settings.default_top_k
    if not 1 <= top_k <= settings.max_top_k:
        raise InvalidInput(f"top_k: must be between 1 and {settings.max_top_k} (got {top_k})")
    return top_k
