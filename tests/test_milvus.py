"""The Milvus backend on two engines, driven by the same client code as a cluster: Milvus Lite in-process, and the C++
engine of milvus-lite 2.5.1 over TCP (no aliases or collection properties there: the catalog stands in). Builds,
in-place updates, generation swaps, search parity with the embedded backend, and the API serving from it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.local_server import running_server
from api.main import create_app
from api.schemas import index_version
from retriever import Filters, Retriever
from retriever.errors import BackendUnavailable, IndexLoadError
from retriever.indexes.seam import index_exists
from retriever.ranking.search import Searcher
from retriever.reading.loader import iter_corpus
from tests.conftest import PROJECT_ROOT, SAMPLE_CORPUS
from tests.milvus_engines import CPP_ENGINE_RELEASE, cpp_engine_binary, cpp_engine_server

milvus_lite = pytest.importorskip("milvus_lite", reason="milvus-lite is not installed")

from pymilvus import MilvusClient

from retriever.indexes.milvus import writer
from retriever.indexes.milvus.backend import MilvusBackend
from retriever.indexes.milvus.collection import (
    connect,
    generations,
    iterate,
    live_generation,
    passage_key,
    read_journal,
    terms_collection,
)
from retriever.indexes.milvus.writer import build_milvus

TOKEN = "test-admin-token"
QUESTIONS = [
    "How many households did Tumed Right Banner lift out of poverty?",
    "土右旗有多少户脱贫？",
    "包头市脱贫攻坚取得了哪些成效",
    "固阳县 产业扶贫",
    "扶贫资金 使用 监管",
]


@pytest.fixture(scope="module")
def documents():
    return list(iter_corpus(SAMPLE_CORPUS))


@pytest.fixture(scope="module", params=["milvus-lite", "cpp-engine"])
def milvus_settings(request, tmp_path_factory, settings):
    """Settings pointing at a fresh Milvus: Milvus Lite in-process (a file URI), or the C++ engine of milvus-lite
    2.5.1 as a TCP server (which offers no HNSW: AUTOINDEX). Skips, saying why, when an engine cannot run here."""
    data = tmp_path_factory.mktemp(request.param)
    update = {"admin_token": SecretStr(TOKEN)}
    with contextlib.ExitStack() as stack:
        if request.param == "milvus-lite":
            update["milvus_uri"] = str(data / "milvus.db")
        else:
            try:
                binary = cpp_engine_binary(settings.cache_dir)
                update["milvus_uri"] = stack.enter_context(cpp_engine_server(binary, data))
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                pytest.skip(f"the C++ engine of milvus-lite {CPP_ENGINE_RELEASE} cannot run here: {exc}")
            update["milvus_index_type"] = "AUTOINDEX"
        updated = settings.model_copy(update=update)
        try:
            connect(updated).list_collections()
        except Exception as exc:  # noqa: BLE001 - any failure to start the engine means the machine cannot run it
            pytest.skip(f"{request.param} cannot run here: {exc}")
        yield updated


@pytest.fixture(scope="module")
def milvus_searcher(milvus_settings, documents, encoder) -> Searcher:
    build_milvus(documents, milvus_settings, encoder, full=True, show_progress=False)
    return Searcher.from_settings(milvus_settings, encoder)


def test_a_build_serves_the_same_passages_and_documents(milvus_searcher, searcher, documents):
    assert milvus_searcher.manifest.passages == searcher.manifest.passages
    assert milvus_searcher.manifest.corpus_hash == searcher.manifest.corpus_hash
    assert milvus_searcher.backend.aliases == searcher.backend.aliases
    for doc_id in (document.doc_id for document in documents):
        assert milvus_searcher.document(doc_id) == searcher.document(doc_id)
        assert milvus_searcher.passages_of(doc_id) == searcher.passages_of(doc_id)
    assert milvus_searcher.document("no/such/document") is None


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_rankings_and_scores_match_the_embedded_backend(milvus_searcher, searcher, mode):
    for question in QUESTIONS:
        embedded = searcher.search(question, 5, mode)
        milvus = milvus_searcher.search(question, 5, mode)
        assert [hit.passage for hit in milvus] == [hit.passage for hit in embedded], question
        np.testing.assert_allclose([h.dense_score for h in milvus], [h.dense_score for h in embedded], atol=1e-5)
        np.testing.assert_allclose([h.lexical_score for h in milvus], [h.lexical_score for h in embedded], rtol=1e-4)
        np.testing.assert_allclose([h.score for h in milvus], [h.score for h in embedded], atol=1e-4)


def test_the_english_tumed_question_finds_the_268_households(milvus_searcher):
    best = milvus_searcher.search("How many households did Tumed Right Banner lift out of poverty?", 1)[0]
    assert "268户" in best.text


def test_an_update_upserts_changed_documents_and_deletes_removed_ones(tmp_path, milvus_settings, documents, encoder):
    settings = milvus_settings.model_copy(update={"milvus_collection": "updates"})
    build_milvus(documents[:3], settings, encoder, show_progress=False)
    collection = live_generation(connect(settings), "updates")
    changed = replace(documents[1], text=documents[1].text[: len(documents[1].text) // 2])
    manifest = build_milvus([documents[0], changed, documents[3]], settings, encoder, show_progress=False)
    assert manifest.extra["document_changes"] == {"new": 1, "changed": 1, "removed": 1, "unchanged": 1}
    assert live_generation(connect(settings), "updates") == collection, "an update stays in the live collection"
    updated = Searcher.from_settings(settings, encoder)
    fresh = build_milvus(
        [documents[0], changed, documents[3]],
        settings.model_copy(update={"milvus_collection": "fresh"}),
        encoder,
        show_progress=False,
    )
    assert updated.manifest.passages == fresh.passages
    assert updated.manifest.extra["passage_chars"] == fresh.extra["passage_chars"]
    assert updated.document(documents[2].doc_id) is None and updated.passages_of(documents[2].doc_id) == []
    assert updated.document(changed.doc_id).text == changed.text
    assert all(p.end <= len(changed.text) for p in updated.passages_of(changed.doc_id))
    assert {hit.passage.doc_id for hit in updated.search("脱贫", 20)} <= {
        documents[0].doc_id,
        changed.doc_id,
        documents[3].doc_id,
    }
    assert manifest.extra["reused_vectors"] > 0, "unchanged paragraphs of a changed document keep their vectors"


def test_a_full_build_moves_the_alias_and_keeps_one_previous_generation(milvus_settings, documents, encoder):
    settings = milvus_settings.model_copy(update={"milvus_collection": "rebuilds"})
    client = connect(settings)
    build_milvus(documents[:2], settings, encoder, full=True, show_progress=False)
    serving = Searcher.from_settings(settings, encoder)
    before = {hit.passage.doc_id for hit in serving.search("脱贫攻坚", 10)}
    for _ in range(3):
        build_milvus(documents[2:], settings, encoder, full=True, show_progress=False)
    assert len(generations(client, "rebuilds")) == 2
    assert live_generation(client, "rebuilds") == generations(client, "rebuilds")[-1]
    assert {d.doc_id for d in documents[2:]} >= {
        h.passage.doc_id for h in Searcher.from_settings(settings, encoder).search("脱贫攻坚", 10)
    }
    assert before <= {d.doc_id for d in documents[:2]}


def test_missing_or_unfinished_collections_are_refused_with_one_clear_error(milvus_settings):
    settings = milvus_settings.model_copy(update={"milvus_collection": "never_built"})
    assert not index_exists(settings)
    with pytest.raises(IndexLoadError, match="no index in milvus"):
        Searcher.from_settings(settings)


def test_the_api_serves_from_milvus_with_the_same_shapes(
    milvus_settings, milvus_searcher, searcher, settings, documents
):
    with (
        TestClient(create_app(milvus_settings, retriever=Retriever(milvus_searcher))) as milvus_client,
        TestClient(create_app(settings, retriever=Retriever(searcher))) as embedded_client,
    ):
        health = milvus_client.get("/health").json()
        assert health["index_dir"].startswith("milvus ")
        for method, path, body in (
            ("post", "/search", {"query": QUESTIONS[0], "top_k": 3}),
            ("post", "/ask", {"question": QUESTIONS[0]}),
            ("get", f"/documents/{documents[0].doc_id}", None),
        ):
            milvus = getattr(milvus_client, method)(path, **({"json": body} if body else {}))
            embedded = getattr(embedded_client, method)(path, **({"json": body} if body else {}))
            assert milvus.status_code == embedded.status_code == 200
            milvus_body, embedded_body = milvus.json(), embedded.json()
            for body_ in (milvus_body, embedded_body):
                body_.pop("took_ms", None)
            assert milvus_body.keys() == embedded_body.keys()
            if path == "/search":
                assert [r["passage_id"] for r in milvus_body["results"]] == [
                    r["passage_id"] for r in embedded_body["results"]
                ]
        assert "268" in milvus_client.post("/ask", json={"question": QUESTIONS[0]}).json()["answer"]


def test_searches_during_alias_swaps_never_fail_or_mix_generations(milvus_settings, documents, encoder):
    settings = milvus_settings.model_copy(update={"milvus_collection": "swaps"})
    parts = [documents[:2], documents[2:4]]
    build_milvus(parts[0], settings, encoder, full=True, show_progress=False)
    app = create_app(settings, retriever=Retriever.from_settings(settings, encoder))
    responses: list[httpx.Response] = []
    documents_of: dict[str, set[str]] = {}
    swaps_done = threading.Event()
    with running_server(app) as base_url:

        def client_loop() -> None:
            with httpx.Client(base_url=base_url, timeout=60) as client:
                while not swaps_done.is_set():
                    responses.append(client.post("/search", json={"query": "脱贫攻坚 成效", "top_k": 5}))

        clients = [threading.Thread(target=client_loop) for _ in range(4)]
        for thread in clients:
            thread.start()
        with httpx.Client(base_url=base_url, timeout=60) as admin:
            documents_of[admin.get("/health").json()["index"]] = {d.doc_id for d in parts[0]}
            for swap in range(2):
                part = parts[(swap + 1) % 2]
                manifest = build_milvus(part, settings, encoder, full=True, show_progress=False)
                documents_of[index_version(manifest)] = {d.doc_id for d in part}
                reloaded = admin.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
                assert reloaded.status_code == 200, reloaded.text
        served_before_last_swap = len(responses)
        while len(responses) < served_before_last_swap + 8:
            time.sleep(0.05)
        swaps_done.set()
        for thread in clients:
            thread.join()
    assert len(responses) > 40
    assert [r.status_code for r in responses] == [200] * len(responses)
    seen = set()
    for response in responses:
        body = response.json()
        seen.add(body["index"])
        assert {result["doc_id"] for result in body["results"]} <= documents_of[body["index"]]
    assert len(seen) == 3, "every generation served some searches"


def test_an_unreachable_milvus_is_one_clear_error(settings):
    unreachable = settings.model_copy(update={"milvus_uri": "http://127.0.0.1:9"})
    with pytest.raises(IndexLoadError, match="cannot reach Milvus at http://127.0.0.1:9"):
        Searcher.from_settings(unreachable)


def test_a_milvus_that_stops_answering_gets_503_not_500(milvus_settings, milvus_searcher, encoder):
    client = MilvusClient(uri=milvus_settings.milvus_uri)
    backend = MilvusBackend(client, milvus_searcher.backend.collection, milvus_settings)
    with TestClient(create_app(milvus_settings, retriever=Retriever(Searcher(backend, encoder, milvus_settings)))) as http:
        client.close()
        response = http.post("/search", json={"query": "脱贫", "top_k": 3})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "index_unavailable"
    assert response.headers["Retry-After"] == "1"


def test_a_passage_deleted_under_a_search_is_a_retryable_error(milvus_settings, documents, encoder):
    settings = milvus_settings.model_copy(update={"milvus_collection": "vanishing"})
    build_milvus(documents[:2], settings, encoder, full=True, show_progress=False)
    backend = Searcher.from_settings(settings, encoder).backend
    passage = backend.passages_of(documents[0].doc_id)[0]
    key = passage_key(passage.passage_id)
    backend.client.delete(backend.collection, ids=[key])
    with pytest.raises(BackendUnavailable, match="while a search used it"):
        backend.get_many([key])


def test_a_full_build_for_another_model_embeds_everything_afresh(milvus_settings, documents, encoder, monkeypatch):
    settings = milvus_settings.model_copy(update={"milvus_collection": "models"})
    build_milvus(documents[:1], settings, encoder, full=True, show_progress=False)
    assert build_milvus(documents[:1], settings, encoder, full=True, show_progress=False).extra["reused_vectors"] > 0
    monkeypatch.setattr(encoder, "name", "another/model-of-the-same-dimension")
    manifest = build_milvus(documents[:1], settings, encoder, show_progress=False)
    assert manifest.model == "another/model-of-the-same-dimension"
    assert manifest.extra["reused_vectors"] == 0


class Died(Exception):
    """Stands for the process dying at one step of an update."""


UPDATE_STEPS = ["_write", "_delete_stale_document_parts", "_adjust_frequencies", "_flush", "write_properties"]


def _frequencies_of(client, alias: str) -> dict[int, int]:
    generation = live_generation(client, alias)
    return {row["dimension"]: row["df"] for row in iterate(client, terms_collection(generation), "dimension", ["df"])}


KILLING_DRIVER = """
import json, os, signal, sys
from retriever.config import Settings
from retriever.indexes.milvus import writer
from retriever.model.embed import Encoder
from retriever.reading.documents import Document

step, uri, collection, update = sys.argv[1:5]
documents = [Document(**fields) for fields in json.load(open(update, encoding="utf-8"))]
setattr(writer, step, lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL))
settings = Settings(milvus_uri=uri, milvus_collection=collection, milvus_index_type="AUTOINDEX")
writer.build_milvus(documents, settings, Encoder.from_settings(settings), show_progress=False)
"""


def _update_after(settings, documents, encoder) -> list:
    """A first full build of three documents, and the next corpus: one changed, one removed, one added."""
    build_milvus(documents[:3], settings, encoder, full=True, show_progress=False)
    changed = replace(documents[0], text=documents[0].text + "\n\n新增段落：该地区今年新增帮扶项目12个。")
    return [changed, documents[2], documents[3]]


def _assert_the_next_run_completes_it(settings, update, removed, encoder) -> None:
    assert Searcher.from_settings(settings, encoder).search("脱贫攻坚", 3), "the half-updated index still answers"
    completed = build_milvus(update, settings, encoder, show_progress=False)
    fresh = settings.model_copy(update={"milvus_collection": settings.milvus_collection + "_fresh"})
    rebuilt = build_milvus(update, fresh, encoder, full=True, show_progress=False)
    client = connect(settings)
    assert completed.passages == rebuilt.passages and completed.corpus_hash == rebuilt.corpus_hash
    assert _frequencies_of(client, settings.milvus_collection) == _frequencies_of(client, fresh.milvus_collection)
    assert read_journal(client, live_generation(client, settings.milvus_collection)) == []
    served = Searcher.from_settings(settings, encoder)
    assert served.backend.passages_of(removed) == []
    assert served.search("该地区今年新增帮扶项目", 1)[0].passage.doc_id == update[0].doc_id


@pytest.mark.parametrize("step", UPDATE_STEPS)
def test_an_update_that_dies_part_way_is_completed_by_the_next_run(
    step, milvus_settings, documents, encoder, monkeypatch
):
    settings = milvus_settings.model_copy(update={"milvus_collection": f"died{UPDATE_STEPS.index(step)}"})
    update = _update_after(settings, documents, encoder)

    def die(*_: object, **__: object) -> None:
        raise Died(step)

    monkeypatch.setattr(writer, step, die)
    with pytest.raises(Died):
        build_milvus(update, settings, encoder, show_progress=False)
    monkeypatch.undo()
    _assert_the_next_run_completes_it(settings, update, documents[1].doc_id, encoder)


@pytest.mark.parametrize("step", UPDATE_STEPS)
def test_an_update_killed_at_each_step_is_completed_by_the_next_run(step, milvus_settings, documents, encoder, tmp_path):
    if not milvus_settings.milvus_uri.startswith("http"):
        pytest.skip("killing a build needs the engine in another process: the C++ engine over TCP")
    settings = milvus_settings.model_copy(update={"milvus_collection": f"killed{UPDATE_STEPS.index(step)}"})
    update = _update_after(settings, documents, encoder)
    corpus = tmp_path / "update.json"
    corpus.write_text(json.dumps([document.to_dict() for document in update], ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RETRIEVER_CACHE_DIR": str(settings.cache_dir)}
    arguments = [step, settings.milvus_uri, settings.milvus_collection, str(corpus)]
    child = subprocess.run(
        [sys.executable, "-c", KILLING_DRIVER, *arguments],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    _assert_the_next_run_completes_it(settings, update, documents[1].doc_id, encoder)


FILTERS = [
    Filters(date_from=date(2021, 1, 1)),
    Filters(date_to=date(2019, 12, 31)),
    Filters(date_from=date(2021, 1, 15), date_to=date(2021, 1, 15)),
    Filters(source="四川人大网"),
    Filters(doc_ids=("004_64cb860ea6044d58", "002_e14637a2b13cd27a")),
]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_filters_give_the_embedded_backends_results(milvus_searcher, searcher, mode):
    for filters in FILTERS:
        for question in QUESTIONS:
            milvus = milvus_searcher.search(question, 5, mode, filters=filters)
            embedded = searcher.search(question, 5, mode, filters=filters)
            assert [h.passage.passage_id for h in milvus] == [h.passage.passage_id for h in embedded], filters
            assert embedded or mode == "lexical", filters
