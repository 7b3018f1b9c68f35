"""The service under stress and misuse: overload, hot index swaps, limits, auth, logs and metrics."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.local_server import running_server
from api.main import create_app
from api.schemas import index_version
from retriever import Retriever
from retriever.indexes.build import build_index
from retriever.indexes.generations import new_staging, publish
from retriever.indexes.store import DENSE_FILE, read_manifest
from retriever.reading.loader import iter_corpus
from tests.conftest import PROJECT_ROOT, SAMPLE_CORPUS, open_searcher

TOKEN = "test-admin-token"
QUERY = {"query": "脱贫攻坚 成效", "top_k": 5}


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory, settings, encoder) -> dict[Path, set[str]]:
    """Two small indexes over disjoint parts of the sample corpus, each with the ids of its documents."""
    documents = list(iter_corpus(SAMPLE_CORPUS))
    root = tmp_path_factory.mktemp("swap")
    indexes = {}
    for name, part in (("first", documents[:2]), ("second", documents[2:4])):
        build_index(part, root / name, settings, encoder, show_progress=False)
        indexes[root / name] = {document.doc_id for document in part}
    return indexes


def install(source: Path, live: Path) -> None:
    """Put a copy of ``source`` at ``live`` the way a rebuild does: staged beside it, then swapped in."""
    staging = new_staging(live)
    shutil.copytree(source, staging, dirs_exist_ok=True)
    publish(staging, live)


@pytest.fixture
def live_settings(tmp_path, settings, two_indexes):
    install(next(iter(two_indexes)), tmp_path / "live")
    return settings.model_copy(update={"index_dir": tmp_path / "live", "admin_token": SecretStr(TOKEN)})


@pytest.fixture
def live_client(live_settings, encoder):
    searcher = open_searcher(live_settings.index_dir, live_settings, encoder)
    with TestClient(create_app(live_settings, retriever=Retriever(searcher))) as client:
        yield client


def reload(client, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/admin/reload", headers=headers)


def test_searches_during_repeated_swaps_never_fail_or_mix_indexes(live_settings, two_indexes, encoder):
    first, second = two_indexes
    documents_of = {index_version(read_manifest(path)): ids for path, ids in two_indexes.items()}
    app = create_app(live_settings, retriever=Retriever.from_settings(live_settings, encoder))
    responses: list[httpx.Response] = []
    with running_server(app) as base_url:

        def client_loop() -> None:
            with httpx.Client(base_url=base_url, timeout=60) as client:
                responses.extend(client.post("/search", json=QUERY) for _ in range(30))

        clients = [threading.Thread(target=client_loop) for _ in range(4)]
        for thread in clients:
            thread.start()
        with httpx.Client(base_url=base_url, timeout=60) as admin:
            for swap in range(6):
                install(second if swap % 2 == 0 else first, live_settings.index_dir)
                assert reload(admin).status_code == 200
        for thread in clients:
            thread.join()
    assert len(responses) == 120
    assert [r.status_code for r in responses] == [200] * 120
    seen = set()
    for response in responses:
        body = response.json()
        seen.add(body["index"])
        assert {result["doc_id"] for result in body["results"]} <= documents_of[body["index"]]
    assert seen == set(documents_of)


def test_reload_needs_the_token(live_client):
    assert reload(live_client, token=None).status_code == 401
    wrong = reload(live_client, token="not-the-token")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_admin_is_disabled_without_a_configured_token(settings, searcher):
    with TestClient(create_app(settings, retriever=Retriever(searcher))) as client:
        responses = [
            reload(client),
            client.post("/documents", json={"text": "乌海市新图书馆开馆。"}, headers={"Authorization": "Bearer x"}),
            client.delete("/documents/001_5f5234b825648131", headers={"Authorization": "Bearer x"}),
        ]
        assert client.get("/documents/001_5f5234b825648131").status_code == 200
    for response in responses:
        assert response.status_code == 403
        assert "RETRIEVER_ADMIN_TOKEN" in response.json()["error"]["message"]


def test_a_rebuild_is_picked_up_by_reload(live_client, live_settings, two_indexes, encoder):
    before = live_client.get("/health").json()
    documents = list(iter_corpus(SAMPLE_CORPUS))
    build_index(documents[1:3], live_settings.index_dir, live_settings, encoder, show_progress=False)
    assert live_client.get("/health").json()["index"] == before["index"]
    response = reload(live_client)
    assert response.status_code == 200
    after = live_client.get("/health").json()
    assert after["index"] == response.json()["index"] != before["index"]
    assert after["documents"] == 2


def test_a_damaged_index_is_refused_and_the_old_one_keeps_serving(live_client, live_settings, tmp_path):
    before = live_client.get("/health").json()["index"]
    damaged = tmp_path / "damaged"
    shutil.copytree(live_settings.index_dir, damaged)
    (damaged / DENSE_FILE).write_bytes(b"truncated")
    install(damaged, live_settings.index_dir)
    response = reload(live_client)
    assert response.status_code == 409
    assert "still serving the previous index" in response.json()["error"]["message"]
    assert live_client.get("/health").json()["index"] == before
    assert live_client.post("/search", json=QUERY).status_code == 200


def test_a_failed_rebuild_leaves_the_served_index_whole(live_client, live_settings, encoder, monkeypatch):
    import retriever.indexes.store

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(retriever.indexes.store.faiss, "write_index", crash)
    with pytest.raises(OSError):
        documents = list(iter_corpus(SAMPLE_CORPUS))
        build_index(documents, live_settings.index_dir, live_settings, encoder, show_progress=False)
    monkeypatch.undo()
    assert reload(live_client).status_code == 200
    assert live_client.get("/health").json()["documents"] == 2


def test_a_damaged_index_stops_start_up_with_one_line(tmp_path, two_indexes):
    damaged = tmp_path / "damaged"
    shutil.copytree(next(iter(two_indexes)), damaged)
    (damaged / DENSE_FILE).write_bytes(b"truncated")
    env = {**os.environ, "RETRIEVER_INDEX_DIR": str(damaged), "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "serve.py")],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "damaged index" in errors[0]


def test_a_full_queue_answers_503_with_retry_after(settings, searcher):
    tight = settings.model_copy(update={"search_threads": 1, "queue_limit": 0})
    release = threading.Event()
    with TestClient(create_app(tight, retriever=Retriever(searcher))) as client:
        pool = client.app.state.pool
        blocker = client.portal.start_task_soon(pool.run, release.wait)
        try:
            response = client.post("/search", json=QUERY)
        finally:
            release.set()
            blocker.result(timeout=30)
        assert response.status_code == 503
        assert response.headers["retry-after"] == str(tight.retry_after_seconds)
        assert response.json()["error"]["code"] == "overloaded"
        assert client.post("/search", json=QUERY).status_code == 200
        assert "search_rejected_overload_total 1.0" in client.get("/metrics").text


@pytest.fixture(scope="module")
def client(settings, searcher):
    with TestClient(create_app(settings, retriever=Retriever(searcher))) as client:
        yield client


def test_oversized_bodies_are_refused_with_413(client, settings):
    big = json.dumps({"query": "脱贫" * settings.max_body_bytes}).encode()
    response = client.post("/search", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"

    def chunks():
        yield b'{"query": "'
        for _ in range(settings.max_body_bytes // 1000 + 1):
            yield b"x" * 1000
        yield b'"}'

    streamed = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b'{"query": "\xff\xfe"}', 400, "error parsing the body"),
        (b'{"query": "\\ud800"}', 422, "unpaired surrogate"),
        (b"[1, 2]", 422, "valid dictionary"),
    ],
)
def test_undecodable_or_unsafe_bodies_are_4xx(client, body, status, fragment):
    response = client.post("/search", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_requests_carry_an_id_and_leave_one_json_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="api.access"):
        mine = client.post("/search", json=QUERY, headers={"X-Request-ID": "abc-123"})
        generated = client.get("/health")
    assert mine.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "api.access"]
    search_line = next(line for line in lines if line["request_id"] == "abc-123")
    assert search_line["route"] == "/search" and search_line["status"] == 200 and search_line["ms"] > 0


def test_metrics_count_requests_and_describe_the_index(client, searcher):
    client.post("/search", json=QUERY)
    client.get("/documents/no-such-document")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="POST",route="/search",status="200"}' in text
    assert 'http_requests_total{method="GET",route="/documents/{doc_id:path}",status="404"}' in text
    assert 'http_request_duration_seconds_bucket{le="0.5",method="POST",route="/search"}' in text
    assert f"index_passages {float(searcher.manifest.passages)}" in text


def test_invented_methods_share_one_metric_label(client):
    for method in ("BREW", "PROPFIND", "X-CUSTOM-1", "X-CUSTOM-2"):
        assert client.request(method, "/search").status_code == 405
    text = client.get("/metrics").text
    assert 'http_requests_total{method="other",route="/search",status="405"} 4.0' in text
    assert "BREW" not in text and "X-CUSTOM" not in text


def test_documents_are_read_on_the_bounded_pool(client, searcher):
    doc_id = searcher.backend.get_many([0])[0].doc_id
    pool = client.app.state.pool
    calls = []
    original = pool.run

    async def counting(function, *args):
        calls.append(function.__name__)
        return await original(function, *args)

    pool.run = counting
    try:
        assert client.get(f"/documents/{doc_id}").status_code == 200
        assert client.get("/documents/no-such-document").status_code == 404
    finally:
        pool.run = original
    assert calls == ["_read", "_read"]


def test_cors_is_closed_by_default_and_opens_to_configured_origins(client, settings, searcher):
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/search", headers=preflight).headers
    opened = settings.model_copy(update={"cors_origins": ["https://example.org"]})
    with TestClient(create_app(opened, retriever=Retriever(searcher))) as open_client:
        response = open_client.options("/search", headers=preflight)
    assert response.headers["access-control-allow-origin"] == "https://example.org"
