"""Each index tokenises with its own words: loading, reloading or building another index in the same process
does not change how an index already open cuts text."""

from pathlib import Path

from retriever.config import Settings
from retriever.indexes.build import build_index
from retriever.model.embed import Encoder
from retriever.ranking.search import Searcher
from retriever.reading.documents import Document
from tests.conftest import open_searcher

PASTURE = Document(
    "pasture", "阿荣达赉苏木", "阿荣达赉苏木位于旗北部。阿达苏木的牧民今年增收，阿达苏木还建了新学校。"
)
VILLAGE = Document(
    "village", "赉格斯台嘎查", "赉格斯台嘎查推进乡村振兴。赉斯嘎查新建蔬菜大棚，赉斯嘎查的牧民增收。"
)


def _open(documents: list[Document], out_dir: Path, settings: Settings, encoder: Encoder) -> Searcher:
    build_index(documents, out_dir, settings, encoder, show_progress=False)
    return open_searcher(out_dir, settings, encoder)


def test_another_index_does_not_change_how_the_first_tokenises(tmp_path, settings, encoder):
    first = _open([PASTURE], tmp_path / "first", settings, encoder)
    assert first.backend.aliases == [("阿达苏木", "阿荣达赉苏木")]
    query = "赉斯嘎查的牧民在阿达苏木放牧"
    tokens_before = first.backend.tokenizer.tokenize(query)
    scores_before = first.backend.data.lexical.scores(query)
    assert "阿达苏木" in tokens_before and "赉斯嘎查" not in tokens_before

    second = _open([VILLAGE], tmp_path / "second", settings, encoder)
    reloaded = open_searcher(tmp_path / "second", settings, encoder)
    for other in (second, reloaded):
        assert other.backend.aliases == [("赉斯嘎查", "赉格斯台嘎查")]
        assert "赉斯嘎查" in other.backend.tokenizer.tokenize(query)
        assert "阿达苏木" not in other.backend.tokenizer.tokenize(query)

    assert first.backend.tokenizer.tokenize(query) == tokens_before
    assert (first.backend.data.lexical.scores(query) == scores_before).all()
