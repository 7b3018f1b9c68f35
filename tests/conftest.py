"""Shared fixtures: the real converted model, and a real index of the bundled sample corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever.config import Settings
from retriever.indexes.build import build_index
from retriever.model.embed import Encoder
from retriever.ranking.search import Searcher
from retriever.reading.loader import iter_corpus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "retriever" / "data" / "corpus"
EVAL_DIR = PROJECT_ROOT / "data" / "eval"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, with the index written to a temporary directory."""
    return Settings(index_dir=tmp_path_factory.mktemp("index") / "sample")


@pytest.fixture(scope="session")
def encoder(settings: Settings) -> Encoder:
    return Encoder.from_settings(settings)


@pytest.fixture(scope="session")
def sample_index(settings: Settings, encoder: Encoder) -> Path:
    build_index(iter_corpus(SAMPLE_CORPUS), settings.index_dir, settings, encoder, show_progress=False)
    return settings.index_dir


@pytest.fixture(scope="session")
def searcher(sample_index: Path, settings: Settings, encoder: Encoder) -> Searcher:
    return open_searcher(sample_index, settings, encoder)


def open_searcher(index_dir: Path, settings: Settings, encoder: Encoder) -> Searcher:
    """A searcher over the index directory ``index_dir``, with ``settings`` otherwise."""
    return Searcher.from_settings(settings.model_copy(update={"index_dir": index_dir}), encoder)
