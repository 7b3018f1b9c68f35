import json
import shutil

import pytest

from retriever.build import build_index, matching_text
from retriever.documents import Document
from retriever.search import Searcher
from retriever.store import MANIFEST, IndexLoadError, load_index, read_manifest

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
    assert [d.doc_id for d in data.documents] == ["a", "b"]
    assert [p.passage_id for p in data.passages] == ["a#0", "b#0"]  # a's two short paragraphs are merged
    assert data.passages[0].text == DOCUMENTS[0].text
    assert data.dense.ntotal == 2 and data.dense.d == encoder.dim
    manifest = read_manifest(tiny_index)
    assert (manifest.model, manifest.passages, manifest.documents) == (settings.model, 2, 2)
    searcher = Searcher.open(tiny_index, settings, encoder)
    for mode in ("hybrid", "dense", "lexical"):
        assert searcher.search("阿拉善盟有多少脱贫户？", 1, mode)[0].passage.passage_id == "b#0"


def test_rebuild_replaces_the_index_without_leftovers(tiny_index, settings, encoder):
    build_index(DOCUMENTS[:1], tiny_index, settings, encoder, show_progress=False)
    assert read_manifest(tiny_index).documents == 1
    assert sorted(p.name for p in tiny_index.parent.iterdir()) == ["tiny"]


def test_index_built_with_another_model_is_refused(tiny_index, settings, encoder):
    manifest = json.loads((tiny_index / MANIFEST).read_text())
    manifest["model"] = "someone/other-model"
    (tiny_index / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="built with model 'someone/other-model'"):
        Searcher.open(tiny_index, settings, encoder)


def test_missing_and_damaged_indexes_say_what_is_wrong(tmp_path, tiny_index):
    with pytest.raises(IndexLoadError, match="no index at"):
        load_index(tmp_path / "nowhere")
    (tiny_index / "passages.jsonl").write_text("")
    with pytest.raises(IndexLoadError, match="damaged index"):
        load_index(tiny_index)
    shutil.rmtree(tiny_index / "bm25")
    with pytest.raises(IndexLoadError, match="damaged index"):
        load_index(tiny_index)


def test_rebuild_embeds_only_new_passages(tiny_index, settings, encoder):
    before = load_index(tiny_index)
    unchanged = build_index(DOCUMENTS, tiny_index, settings, encoder, show_progress=False)
    assert unchanged.extra["reused_vectors"] == 2
    after = load_index(tiny_index)
    assert (after.dense.reconstruct_n(0, 2) == before.dense.reconstruct_n(0, 2)).all()

    edited = [DOCUMENTS[0], Document("b", "阿拉善", "阿拉善盟现有建档立卡脱贫户3906户9461人，无返贫户。")]
    manifest = build_index(edited, tiny_index, settings, encoder, show_progress=False)
    assert manifest.extra["reused_vectors"] == 1
    rebuilt = load_index(tiny_index)
    assert (rebuilt.dense.reconstruct(0) == before.dense.reconstruct(0)).all()
    fresh = encoder.encode_passages([matching_text(rebuilt.passages[1])])[0]
    assert rebuilt.dense.reconstruct(1) == pytest.approx(fresh, abs=1e-6)
