import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from retriever.errors import IndexLoadError
from retriever.indexes.build import build_index
from retriever.indexes.generations import generations
from retriever.indexes.store import MANIFEST, STORE_FILE, load_index, read_manifest
from retriever.reading.documents import Document, content_hash
from retriever.reading.segment import matching_text
from tests.conftest import open_searcher

DOCUMENTS = [
    Document("a", "包头", "包头市土右旗268户590人未脱贫人口已全部脱贫退出。\n\n固阳县召开政法队伍培训会。"),
    Document("b", "阿拉善", "阿拉善盟现有建档立卡脱贫户3906户9461人。"),
]


@pytest.fixture()
def tiny_index(tmp_path, settings, encoder):
    out = tmp_path / "tiny"
    build_index(DOCUMENTS, out, settings, encoder, show_progress=False)
    return out


def test_round_trip_keeps_passages_vectors_and_rankings(tiny_index, settings, encoder):
    data = load_index(tiny_index)
    assert data.store.document_hashes() == {d.doc_id: content_hash(d.text) for d in DOCUMENTS}
    assert data.store.document("b") == DOCUMENTS[1] and data.store.document("c") is None
    assert [p.passage_id for p in data.store] == ["a#0", "b#0"]  # a's two short paragraphs are merged
    assert data.store[0].text == DOCUMENTS[0].text
    assert [p.passage_id for p in data.store.get_many([1, 0, 1])] == ["b#0", "a#0", "b#0"]
    assert data.store.passages_of("b") == [data.store[1]] and data.store.passages_of("c") == []
    assert data.dense.ntotal == 2 and data.dense.d == encoder.dim
    manifest = read_manifest(tiny_index)
    assert (manifest.model, manifest.passages, manifest.documents) == (settings.model, 2, 2)
    searcher = open_searcher(tiny_index, settings, encoder)
    for mode in ("hybrid", "dense", "lexical"):
        assert searcher.search("阿拉善盟有多少脱贫户？", 1, mode)[0].passage.passage_id == "b#0"


def test_rebuilds_keep_the_live_generation_and_one_before_it(tiny_index, settings, encoder):
    first = tiny_index.resolve()
    build_index(DOCUMENTS[:1], tiny_index, settings, encoder, show_progress=False)
    assert read_manifest(tiny_index).documents == 1
    second = tiny_index.resolve()
    assert tiny_index.is_symlink() and second != first and first.is_dir()
    build_index(DOCUMENTS, tiny_index, settings, encoder, show_progress=False)
    entries = sorted(p.name for p in tiny_index.parent.iterdir())
    assert entries == sorted(["tiny", second.name, tiny_index.resolve().name]), entries
    assert not first.exists()


def test_an_index_of_an_earlier_version_becomes_the_previous_generation(tmp_path, settings, encoder):
    index = tmp_path / "old"
    build_index(DOCUMENTS[:1], index, settings, encoder, show_progress=False)
    shutil.copytree(index.resolve(), tmp_path / "plain")
    shutil.rmtree(index.resolve())
    index.unlink()
    (tmp_path / "plain").rename(index)  # a plain directory, as versions before generations wrote it
    (tmp_path / ".old.building-999999999").mkdir()  # staging of a build killed under an earlier version
    build_index(DOCUMENTS, index, settings, encoder, show_progress=False)
    assert index.is_symlink() and read_manifest(index).documents == 2
    assert len(generations(index)) == 2 and not (tmp_path / ".old.building-999999999").exists()


def test_a_loaded_index_keeps_its_own_passages_after_a_rebuild_swaps_the_directory(tiny_index, settings, encoder):
    loaded = load_index(tiny_index)
    build_index([Document("c", "巴彦淖尔", "巴彦淖尔市完成高标准农田建设。")], tiny_index, settings, encoder, False)
    with ThreadPoolExecutor(max_workers=1) as fresh_thread:
        assert fresh_thread.submit(lambda: loaded.store[1].passage_id).result() == "b#0"
    assert [p.passage_id for p in load_index(tiny_index).store] == ["c#0"]


def test_index_built_with_another_model_is_refused(tiny_index, settings, encoder):
    manifest = json.loads((tiny_index / MANIFEST).read_text())
    manifest["model"] = "someone/other-model"
    (tiny_index / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="built with model 'someone/other-model'"):
        open_searcher(tiny_index, settings, encoder)


def test_missing_and_damaged_indexes_say_what_is_wrong(tmp_path, tiny_index):
    with pytest.raises(IndexLoadError, match="no index at"):
        load_index(tmp_path / "nowhere")
    (tiny_index / STORE_FILE).write_text("")
    with pytest.raises(IndexLoadError, match="damaged index"):
        load_index(tiny_index)
    shutil.rmtree(tiny_index / "bm25")
    with pytest.raises(IndexLoadError, match="damaged index"):
        load_index(tiny_index)


def test_an_index_of_an_older_format_is_refused_with_a_rebuild_hint(tiny_index):
    manifest = json.loads((tiny_index / MANIFEST).read_text())
    manifest["format_version"] = 2
    (tiny_index / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="has format 2, this version reads 3; rebuild it"):
        load_index(tiny_index)


def test_rebuild_embeds_only_new_passages(tiny_index, settings, encoder):
    before = load_index(tiny_index)
    unchanged = build_index(DOCUMENTS, tiny_index, settings, encoder, show_progress=False)
    assert unchanged.extra["reused_vectors"] == 2
    assert unchanged.extra["document_changes"] == {"new": 0, "changed": 0, "removed": 0, "unchanged": 2}
    after = load_index(tiny_index)
    assert (after.dense.reconstruct_n(0, 2) == before.dense.reconstruct_n(0, 2)).all()

    edited = [DOCUMENTS[0], Document("b", "阿拉善", "阿拉善盟现有建档立卡脱贫户3906户9461人，无返贫户。")]
    manifest = build_index(edited, tiny_index, settings, encoder, show_progress=False)
    assert manifest.extra["reused_vectors"] == 1
    assert manifest.extra["document_changes"] == {"new": 0, "changed": 1, "removed": 0, "unchanged": 1}
    rebuilt = load_index(tiny_index)
    assert (rebuilt.dense.reconstruct(0) == before.dense.reconstruct(0)).all()
    fresh = encoder.encode_passages([matching_text(rebuilt.store[1])])[0]
    assert rebuilt.dense.reconstruct(1) == pytest.approx(fresh, abs=1e-6)


def test_rebuild_drops_removed_documents_and_adds_new_ones(tiny_index, settings, encoder):
    before = load_index(tiny_index)
    added = Document("c", "巴彦淖尔", "巴彦淖尔市完成高标准农田建设。")
    manifest = build_index([added, DOCUMENTS[1]], tiny_index, settings, encoder, show_progress=False)
    assert manifest.extra["document_changes"] == {"new": 1, "changed": 0, "removed": 1, "unchanged": 1}
    assert manifest.extra["reused_vectors"] == 1
    after = load_index(tiny_index)
    assert [p.passage_id for p in after.store] == ["c#0", "b#0"]
    assert after.store.document("a") is None and after.store.passages_of("a") == []
    assert (after.dense.reconstruct(1) == before.dense.reconstruct(1)).all()
