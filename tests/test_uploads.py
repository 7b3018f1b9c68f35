"""Adding, replacing and deleting documents of a live index directory through the library, and how builds keep
those changes (the HTTP cycle, on both engines, is in test_upload_cycle.py)."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retriever import (
    DocumentTooLarge,
    RawDocument,
    Retriever,
    UnknownDocument,
    UnreadableDocument,
    UnsupportedFormat,
    UsageError,
)
from retriever.errors import DataFileError
from retriever.indexes import changes
from retriever.indexes.generations import live_generation
from retriever.indexes.seam import index_documents
from retriever.indexes.uploads import uploads_folder
from tests.conftest import SAMPLE_CORPUS

LIBRARY = RawDocument(
    doc_id="wuhai-library",
    text="乌海市新图书馆正式开馆\n\n乌海市新图书馆于11月1日正式开馆，馆藏图书三十二万册，设有少儿阅览区和古籍修复室。"
    "\n\n开馆首日接待读者六千余人次。",
    date="2026-11-02",
    source="乌海日报",
)
LIBRARY_QUESTION = "乌海市新图书馆馆藏图书多少册？"


@pytest.fixture
def library(tmp_path: Path, sample_index: Path, settings, encoder) -> Retriever:
    """A retriever over a private, writable copy of the sample index."""
    index = tmp_path / "index"
    shutil.copytree(live_generation(sample_index), index)
    return Retriever.from_settings(settings.model_copy(update={"index_dir": index}), encoder)


def test_an_added_document_is_found_and_only_its_passages_are_embedded(library):
    before = library.passages
    added = library.add_documents([LIBRARY])
    assert added.search(LIBRARY_QUESTION, top_k=1)[0].doc_id == "wuhai-library"
    new = len(added.passages_of("wuhai-library"))
    assert new >= 1 and added.passages == before + new
    assert added.manifest.extra["reused_vectors"] == before
    hit = added.search(LIBRARY_QUESTION, top_k=1)[0]
    assert (hit.title, hit.date, hit.source) == ("乌海市新图书馆正式开馆", "2026-11-02", "乌海日报")


def test_the_retriever_changed_keeps_answering_from_the_index_as_it_was(library):
    library.add_documents([LIBRARY])
    assert library.document("wuhai-library") is None
    assert all(hit.doc_id != "wuhai-library" for hit in library.search(LIBRARY_QUESTION, top_k=5))


def test_the_same_id_again_replaces_the_document(library):
    added = library.add_documents([LIBRARY])
    replaced = added.add_documents([RawDocument("wuhai-library", "乌海市新图书馆因设备调试推迟到明年开馆。")])
    assert replaced.document("wuhai-library").text == "乌海市新图书馆因设备调试推迟到明年开馆。"
    assert replaced.manifest.documents == added.manifest.documents
    assert [p.text for p in replaced.passages_of("wuhai-library")] == ["乌海市新图书馆因设备调试推迟到明年开馆。"]


def test_a_deleted_document_is_gone_from_search_and_reads(library):
    added = library.add_documents([LIBRARY])
    deleted = added.delete_documents(["wuhai-library"])
    assert deleted.document("wuhai-library") is None
    assert deleted.passages == library.passages
    assert all(hit.doc_id != "wuhai-library" for hit in deleted.search(LIBRARY_QUESTION, top_k=5))


def test_refused_changes_change_nothing(library):
    version = library.manifest.corpus_hash
    with pytest.raises(UnknownDocument, match="no-such-document"):
        library.delete_documents(["no-such-document"])
    with pytest.raises(UnreadableDocument, match="no text after cleaning"):
        library.add_documents([RawDocument("blank", "\n\n   \n")])
    with pytest.raises(UsageError, match="same id"):
        library.add_documents([LIBRARY, LIBRARY])
    with pytest.raises(UsageError, match="at least one document"):
        library.delete_documents([document.doc_id for document in index_documents(library.settings)])
    assert Retriever.from_settings(library.settings, library.encoder).manifest.corpus_hash == version
    assert not list(uploads_folder(library.settings).glob("*.json"))


def test_a_change_that_fails_while_writing_leaves_index_and_records_as_they_were(library, monkeypatch):
    added = library.add_documents([LIBRARY])
    records = {path.name: path.read_bytes() for path in uploads_folder(library.settings).glob("*.json")}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(changes, "write_index", disk_full)
    with pytest.raises(OSError, match="No space"):
        added.add_documents([RawDocument("wuhai-library", "被替换的文本。"), RawDocument("other", "另一篇文章。")])
    with pytest.raises(OSError, match="No space"):
        added.delete_documents(["wuhai-library"])
    assert {path.name: path.read_bytes() for path in uploads_folder(library.settings).glob("*.json")} == records
    reopened = Retriever.from_settings(library.settings, library.encoder)
    assert reopened.document("wuhai-library").text == added.document("wuhai-library").text
    assert reopened.document("other") is None


def test_a_rebuild_from_the_corpus_keeps_uploads_and_deletions(library):
    corpus_document = sorted(path.stem for path in SAMPLE_CORPUS.glob("*.txt"))[1]
    changed = library.add_documents([LIBRARY]).delete_documents([corpus_document])
    rebuilt = Retriever.build(SAMPLE_CORPUS, changed.settings.index_dir, show_progress=False)
    assert rebuilt.document("wuhai-library") is not None
    assert rebuilt.document(corpus_document) is None
    assert rebuilt.manifest.corpus_hash == changed.manifest.corpus_hash


def test_an_upload_with_a_corpus_file_id_replaces_it_in_every_build(library):
    corpus_document = min(path.stem for path in SAMPLE_CORPUS.glob("*.txt"))
    library.add_documents([RawDocument(corpus_document, "更正后的全文：土右旗脱贫人口数据以统计局公布为准。")])
    rebuilt = Retriever.build(SAMPLE_CORPUS, library.settings.index_dir, show_progress=False)
    assert rebuilt.document(corpus_document).text == "更正后的全文：土右旗脱贫人口数据以统计局公布为准。"


def test_a_damaged_upload_record_stops_a_build_naming_the_file(library):
    library.add_documents([LIBRARY])
    (record,) = uploads_folder(library.settings).glob("*.json")
    record.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFileError, match=record.name):
        Retriever.build(SAMPLE_CORPUS, library.settings.index_dir, show_progress=False)


def test_records_are_readable_json_beside_the_index(library):
    library.add_documents([LIBRARY]).delete_documents(["wuhai-library"])
    folder = uploads_folder(library.settings)
    assert folder == library.settings.index_dir.parent / "index.uploads"
    (record,) = [json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")]
    assert record["doc_id"] == "wuhai-library" and record["deleted"] is True


def test_raw_documents_are_read_and_checked_like_corpus_files():
    named = RawDocument.from_file("reports\\乌海.md", "# 乌海新闻\n\n乌海市举办书展。".encode(), max_bytes=1_000)
    assert named.doc_id == "乌海"
    assert named.cleaned().text == "乌海新闻\n\n乌海市举办书展。"
    assert RawDocument.from_text("同一段文字。").doc_id == RawDocument.from_text("同一段文字。").doc_id
    with pytest.raises(UnsupportedFormat, match=r"\.xls"):
        RawDocument.from_file("table.xls", b"data", max_bytes=1_000)
    with pytest.raises(DocumentTooLarge, match="1000 bytes"):
        RawDocument.from_file("big.txt", "字".encode() * 400, max_bytes=1_000)
    with pytest.raises(UnreadableDocument, match="no text"):
        RawDocument.from_file("empty.txt", b"  \n ", max_bytes=1_000)
    for bad_id in ["", " padded", "tab\there", "x" * 201]:
        with pytest.raises(UnreadableDocument, match="document id"):
            RawDocument(bad_id, "文字。")
    with pytest.raises(UnreadableDocument, match="YYYY-MM-DD"):
        RawDocument("dated", "文字。", date="2026-02-30")


def test_two_concurrent_changes_both_land(library):
    """Each change reads the index another may be writing: the writer lock makes the second wait for the first."""
    other = Retriever.from_settings(library.settings, library.encoder)
    documents = [RawDocument(f"note-{i}", f"第{i}号通知：全市开展冬季供暖安全检查。") for i in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda pair: pair[0].add_documents([pair[1]]), zip([library, other], documents, strict=True)))
    reopened = Retriever.from_settings(library.settings, library.encoder)
    assert reopened.document("note-0") is not None and reopened.document("note-1") is not None
