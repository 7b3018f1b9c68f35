"""What an index was built from and with, the check that this version can read it, and the error for one it
cannot. Shared by every backend; imports no index engine."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retriever.errors import IndexLoadError
from retriever.query.tokenize import TOKENIZER_VERSION
from retriever.reading.text import NORMALIZER_VERSION

FORMAT_VERSION = 3


@dataclass(frozen=True)
class Manifest:
    """What an index was built from and with; loading checks it before trusting the files."""

    model: str
    dim: int
    normalizer: str
    tokenizer: str
    cleaner: str
    chunking: dict[str, int]
    corpus_hash: str
    documents: int
    passages: int
    built_at: str
    build_seconds: float
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def check_compatible(manifest: Manifest, location: Path | str, model: str) -> None:
    """Refuse an index whose vectors or tokens would not match what this version's queries produce."""
    if manifest.model != model:
        raise IndexLoadError(
            f"index {location} was built with model {manifest.model!r} but the query encoder is {model!r}: "
            f"rebuild the index or set RETRIEVER_MODEL={manifest.model}"
        )
    if manifest.normalizer != NORMALIZER_VERSION or manifest.tokenizer != TOKENIZER_VERSION:
        raise IndexLoadError(
            f"index {location} was built with text normaliser {manifest.normalizer}/{manifest.tokenizer}, "
            f"this version uses {NORMALIZER_VERSION}/{TOKENIZER_VERSION}: rebuild the index"
        )
