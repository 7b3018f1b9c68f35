"""The SQLite passage store: rows in index order, batch lookups, documents with their hashes, shared by threads."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from retriever.indexes.passage_store import PassageStore, content_hash, write_store
from retriever.reading.documents import Document, Passage

DOCUMENTS = [
    Document("a", "甲", "第一段。\n\n第二段。", date="2024-01-02", source="新华社"),
    Document("b", "乙", "另一篇。"),
]
PASSAGES = [
    Passage("a#0", "a", 0, 0, 4, "第一段。", "甲"),
    Passage("a#1", "a", 1, 6, 10, "第二段。", "甲", "小标题"),
    Passage("b#0", "b", 0, 0, 4, "另一篇。", "乙"),
]


@pytest.fixture()
def store(tmp_path):
    write_store(tmp_path / "passages.sqlite", DOCUMENTS, PASSAGES)
    return PassageStore(tmp_path / "passages.sqlite")


def test_rows_are_the_passages_in_order(store):
    assert len(store) == 3 and list(store) == PASSAGES and store[2] == PASSAGES[2]
    with pytest.raises(IndexError):
        store[3]


def test_batch_lookups_keep_the_requested_order(store):
    assert store.get_many([2, 0, 2]) == [PASSAGES[2], PASSAGES[0], PASSAGES[2]]
    assert store.get_many([]) == []
    with pytest.raises(IndexError):
        store.get_many([0, 9])


def test_documents_come_with_their_passages_and_content_hashes(store):
    assert store.document("a") == DOCUMENTS[0] and store.document("z") is None
    assert store.documents(["b", "z"]) == {"b": DOCUMENTS[1]}
    assert store.passages_of("a") == PASSAGES[:2] and store.passages_of("z") == []
    assert store.document_hashes() == {d.doc_id: content_hash(d.text) for d in DOCUMENTS}


def test_threads_share_one_store(store):
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda row: store.get_many([row % 3])[0], range(40)))
    assert found == [PASSAGES[row % 3] for row in range(40)]


def test_an_empty_store_has_no_passages(tmp_path):
    write_store(tmp_path / "empty.sqlite", [], [])
    assert len(PassageStore(tmp_path / "empty.sqlite")) == 0
