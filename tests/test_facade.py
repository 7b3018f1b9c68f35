"""The public API: build, open, search and ask through ``retriever.Retriever``, on the real model and index."""

from pathlib import Path

import pytest

import retriever
from retriever import CorpusError, IndexLoadError, Retriever, RetrieverError
from retriever.config import target_settings

from .conftest import SAMPLE_CORPUS


def test_build_search_ask_and_reopen(tmp_path, encoder):
    index = tmp_path / "index"
    built = Retriever.build(SAMPLE_CORPUS, index, show_progress=False)
    assert built.manifest.documents == 5 and built.location == str(index)

    hits = built.search("土右旗有多少户未脱贫人口全部脱贫？", top_k=3)
    assert len(hits) == 3 and hits[0].score >= hits[1].score >= hits[2].score
    top = hits[0]
    assert "268户590人" in top.text and top.doc_id == "000_e549fdcf45b4778b"
    assert top.title and top.passage_id.startswith(top.doc_id)
    assert (top.date, top.source) == (top.document.date, top.document.source)

    answer = built.ask("How many households did Tumed Right Banner lift out of poverty?")
    assert answer.answer == "268户" and "268户" in answer.sentence
    assert 0 < answer.confidence <= 1 and answer.evidence[0].doc_id == top.doc_id

    reopened = Retriever.open(index, encoder=encoder)
    assert [hit.passage_id for hit in reopened.search("土右旗有多少户未脱贫人口全部脱贫？", top_k=3)] == [
        hit.passage_id for hit in hits
    ]
    document = reopened.document(top.doc_id)
    assert all(document.text[p.start : p.end] == p.text for p in reopened.passages_of(top.doc_id))


def test_errors_share_one_base(tmp_path):
    with pytest.raises(IndexLoadError) as missing:
        Retriever.open(tmp_path / "nothing")
    assert isinstance(missing.value, RetrieverError) and "retriever build" in str(missing.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no readable articles"):
        Retriever.build(tmp_path / "empty", tmp_path / "index", show_progress=False)
    assert not (tmp_path / "index").exists()


def test_an_index_target_is_a_directory_or_a_milvus_uri():
    assert target_settings(None) == {}
    assert target_settings("index/x") == {"index_dir": Path("index/x"), "milvus_uri": None}
    assert target_settings("http://milvus:19530") == {"milvus_uri": "http://milvus:19530"}
    assert target_settings("/data/lite.db") == {"milvus_uri": "/data/lite.db"}


def test_the_public_names_resolve_and_nothing_else_does():
    classes = [getattr(retriever, name) for name in retriever.__all__ if name not in {"Language", "SearchMode"}]
    assert [value.__name__ for value in classes] == [n for n in retriever.__all__ if n not in {"Language", "SearchMode"}]
    assert set(retriever.Language.__args__) == {"zh", "en"} and "hybrid" in retriever.SearchMode.__args__
    with pytest.raises(AttributeError):
        _ = retriever.NoSuchThing
