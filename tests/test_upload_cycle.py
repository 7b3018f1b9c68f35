"""The whole life of uploaded documents through the HTTP API on a real server, for an index directory and for a
Milvus Lite collection: upload JSON and a PDF, find each, filter by date and source, refuse without the token,
delete, restart, rebuild from the corpus; and searches that never fail while uploads and deletes run."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.local_server import running_server
from api.main import create_app
from retriever import Retriever
from retriever.indexes.generations import live_generation
from tests.conftest import SAMPLE_CORPUS
from tests.test_formats import make_pdf

TOKEN = "upload-cycle-token"
UPLOAD_LIMIT_MB = 0.05
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIBRARY = {
    "doc_id": "wuhai-library",
    "title": "乌海市新图书馆正式开馆",
    "date": "2026-11-02",
    "source": "乌海日报",
    "text": "乌海市新图书馆于11月1日正式开馆，馆藏图书三十二万册，设有少儿阅览区和古籍修复室。\n\n"
    "开馆首日接待读者六千余人次，市民可凭身份证免费办理借阅证。",
}
LIBRARY_QUESTION = "乌海市新图书馆馆藏图书多少册？"
REPORT_PAGES = [
    ["鄂尔多斯市推进黄河流域生态保护", "2026年10月15日  来源：鄂尔多斯日报", "",
     "今年以来，鄂尔多斯市围绕黄河流域生态保护和", "高质量发展，实施了一批重点生态工程。", "",
     "全市完成营造林任务一百二十万亩，治理水土", "流失面积八百平方公里。"],
    ["沿黄生态廊道建设方面，鄂尔多斯市在达拉特旗", "新建湿地公园四处，恢复湿地面积三千六百亩。", "",
     "下一步，全市将继续加大投入，巩固生态治理成果。"],
]  # fmt: skip
REPORT_QUESTION = "鄂尔多斯在达拉特旗新建了几处湿地公园？"


@pytest.fixture(params=["index directory", "milvus lite"])
def served_settings(request, tmp_path: Path, settings, sample_index: Path, encoder):
    """Settings of a private, writable index with the admin token set: a copy of the sample index directory, or
    the sample corpus built into a Milvus Lite collection."""
    update = {"admin_token": SecretStr(TOKEN), "max_upload_mb": UPLOAD_LIMIT_MB}
    if request.param == "index directory":
        shutil.copytree(live_generation(sample_index), tmp_path / "index")
        update["index_dir"] = tmp_path / "index"
        return settings.model_copy(update=update)
    update |= {"milvus_uri": str(tmp_path / "milvus.db"), "milvus_collection": "uploads"}
    served = settings.model_copy(update=update)
    Retriever.build(SAMPLE_CORPUS, served.milvus_uri, show_progress=False, **_fields(served))
    return served


def _fields(settings) -> dict:
    return {"milvus_collection": settings.milvus_collection, "cache_dir": settings.cache_dir}


def _server(settings, encoder):
    return running_server(create_app(settings, Retriever.from_settings(settings, encoder)))


def _top_document(client: httpx.Client, question: str, **filters) -> str | None:
    response = client.get("/search", params={"q": question, "top_k": 1, **filters})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return results[0]["doc_id"] if results else None


def test_upload_find_filter_delete_restart_and_rebuild(served_settings, encoder, tmp_path: Path):
    report = make_pdf(tmp_path / "黄河生态报告.pdf", REPORT_PAGES).read_bytes()
    with _server(served_settings, encoder) as url, httpx.Client(base_url=url, timeout=60) as client:
        before = client.get("/health").json()
        uploaded = client.post("/documents", json=LIBRARY, headers=AUTH)
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["doc_id"] == "wuhai-library" and uploaded.json()["passages"] >= 1
        filed = client.post(
            "/documents", files={"file": ("黄河生态报告.pdf", report)}, data={"source": "鄂尔多斯日报"}, headers=AUTH
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["doc_id"] == "黄河生态报告"
        assert client.get("/health").json()["documents"] == before["documents"] + 2

        assert _top_document(client, LIBRARY_QUESTION) == "wuhai-library"
        assert _top_document(client, REPORT_QUESTION) == "黄河生态报告"
        answer = client.post("/ask", json={"question": REPORT_QUESTION}).json()
        assert answer["evidence"][0]["doc_id"] == "黄河生态报告"
        read = client.get("/documents/黄河生态报告").json()
        assert (read["title"], read["date"], read["source"]) == ("鄂尔多斯市推进黄河流域生态保护", "2026-10-15", "鄂尔多斯日报")

        in_november = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
        assert _top_document(client, REPORT_QUESTION, **in_november) == "wuhai-library"
        assert _top_document(client, LIBRARY_QUESTION, source="鄂尔多斯日报") == "黄河生态报告"
        filtered = client.post("/search", json={"query": REPORT_QUESTION, "top_k": 5, "filters": {"source": "乌海日报"}})
        assert {hit["doc_id"] for hit in filtered.json()["results"]} == {"wuhai-library"}

        assert client.post("/documents", json=LIBRARY).status_code == 401
        assert client.delete("/documents/wuhai-library", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.delete("/documents/黄河生态报告").status_code == 401

        deleted = client.delete("/documents/黄河生态报告", headers=AUTH)
        assert deleted.status_code == 200, deleted.text
        assert client.delete("/documents/黄河生态报告", headers=AUTH).status_code == 404
        assert client.get("/documents/黄河生态报告").status_code == 404
        assert _top_document(client, REPORT_QUESTION) != "黄河生态报告"

    with _server(served_settings, encoder) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert _top_document(client, LIBRARY_QUESTION) == "wuhai-library"
        assert client.get("/documents/黄河生态报告").status_code == 404

    target = served_settings.milvus_uri or served_settings.index_dir
    rebuilt = Retriever.build(SAMPLE_CORPUS, target, show_progress=False, **_fields(served_settings))
    assert rebuilt.search(LIBRARY_QUESTION, top_k=1)[0].doc_id == "wuhai-library"
    assert rebuilt.document("黄河生态报告") is None


def test_bad_uploads_are_refused_and_change_nothing(served_settings, encoder):
    with _server(served_settings, encoder) as url, httpx.Client(base_url=url, timeout=60) as client:
        version = client.get("/health").json()["index"]
        refusals = [
            (client.post("/documents", files={"file": ("table.xls", b"cells")}, headers=AUTH), 415),
            (client.post("/documents", files={"file": ("scan.pdf", b"%PDF-1.4 broken")}, headers=AUTH), 422),
            (client.post("/documents", files={"file": ("blank.txt", b" \n\n ")}, headers=AUTH), 422),
            (client.post("/documents", content=b"text", headers={**AUTH, "Content-Type": "text/plain"}), 415),
            (client.post("/documents", json={**LIBRARY, "date": "2026-02-30"}, headers=AUTH), 422),
            (client.post("/documents", json={**LIBRARY, "doc_id": " padded"}, headers=AUTH), 422),
            (client.post("/documents", json={"text": "字" * 20_000}, headers=AUTH), 413),
            (client.post("/documents", files={"file": ("long.txt", "字".encode() * 20_000)}, headers=AUTH), 413),
            (client.post("/documents", files={"file": ("huge.txt", b"x" * 400_000)}, headers=AUTH), 413),
        ]
        for response, status in refusals:
            assert response.status_code == status, response.text
            assert response.json()["error"]["message"]
        assert client.get("/health").json()["index"] == version


def test_searches_never_fail_while_documents_are_uploaded_and_deleted(served_settings, encoder):
    questions = [LIBRARY_QUESTION, "土右旗脱贫了多少户？", "How many households did Tumed Right Banner lift out of poverty?"]
    statuses: Counter[int] = Counter()
    versions: set[str] = set()
    done = threading.Event()

    def search_until_done(url: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not done.is_set():
                for question in questions:
                    response = client.get("/search", params={"q": question})
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        versions.add(response.json()["index"])

    with _server(served_settings, encoder) as url, httpx.Client(base_url=url, timeout=60) as client:
        searchers = [threading.Thread(target=search_until_done, args=(url,)) for _ in range(3)]
        for thread in searchers:
            thread.start()
        try:
            for round_ in range(3):
                document = {**LIBRARY, "text": LIBRARY["text"] + f"\n\n第{round_ + 1}次更新。"}
                assert client.post("/documents", json=document, headers=AUTH).status_code == 201
                assert client.delete("/documents/wuhai-library", headers=AUTH).status_code == 200
        finally:
            done.set()
            for thread in searchers:
                thread.join()
    assert set(statuses) == {200}, statuses
    assert statuses[200] >= 10 and len(versions) >= 2
