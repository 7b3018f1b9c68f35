import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from retriever import Retriever

TUMED_QUESTION = "土默特右旗有多少户贫困户脱贫？"


@pytest.fixture(scope="module")
def client(searcher, settings):
    with TestClient(create_app(settings, retriever=Retriever(searcher))) as client:
        yield client


def test_health_reports_what_is_loaded(client, searcher):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["passages"] == len(searcher.backend)
    assert body["model"] == searcher.settings.model


def test_post_search_finds_the_tumed_right_banner_passage(client):
    response = client.post("/search", json={"query": TUMED_QUESTION, "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == TUMED_QUESTION and body["mode"] == "hybrid"
    assert len(body["results"]) == 3
    assert any("268户590人" in "".join(result["text"].split()) for result in body["results"])
    first = body["results"][0]
    assert set(first) >= {"passage_id", "doc_id", "title", "text", "score", "dense_score", "lexical_score", "highlight"}
    assert body["took_ms"] > 0


def test_get_search_matches_post(client):
    posted = client.post("/search", json={"query": "阿拉善盟脱贫户", "top_k": 2, "mode": "lexical"}).json()
    got = client.get("/search", params={"q": "阿拉善盟脱贫户", "top_k": 2, "mode": "lexical"}).json()
    assert [r["passage_id"] for r in got["results"]] == [r["passage_id"] for r in posted["results"]]


def test_highlight_marks_query_terms(client):
    result = client.post("/search", json={"query": "阿拉善盟建档立卡脱贫户", "top_k": 1}).json()["results"][0]
    assert "<mark>" in result["highlight"]
    assert "3906户" in result["text"]


def test_ask_returns_the_answering_sentence_with_evidence(client):
    body = client.post("/ask", json={"question": "阿拉善盟现有建档立卡脱贫户多少户？"}).json()
    assert body["answer"] is not None and "3906户" in body["answer"]
    assert 0 < body["confidence"] <= 1
    assert body["evidence"] and "3906户" in body["evidence"][0]["text"]


def test_ask_without_evidence_answers_null(client):
    body = client.post("/ask", json={"question": "What is the boiling point of liquid nitrogen in Kelvin?"}).json()
    assert body["answer"] is None
    assert body["confidence"] < 0.25


def test_document_view_lists_passages_in_place(client):
    body = client.get("/documents/001_5f5234b825648131").json()
    assert body["title"].startswith("人大阿拉善盟工委")
    for passage in body["passages"]:
        assert body["text"][passage["start"] : passage["end"]] == passage["text"]


@pytest.mark.parametrize(
    ("method", "path", "payload", "fragment"),
    [
        ("post", "/search", {"query": "   "}, "must not be empty"),
        ("post", "/search", {"query": "脱贫" * 300}, "longer than 500"),
        ("post", "/search", {"query": "脱贫", "top_k": 0}, "top_k: must be between 1 and 50"),
        ("post", "/search", {"query": "脱贫", "top_k": 51}, "top_k: must be between 1 and 50"),
        ("post", "/search", {"query": "脱贫", "mode": "fuzzy"}, "mode"),
        ("post", "/search", {"query": "脱贫", "colour": "red"}, "colour"),
        ("post", "/search", {"query": 42}, "query"),
        ("post", "/ask", {}, "question"),
        ("get", "/search", None, "q"),
    ],
)
def test_bad_input_gets_a_clear_json_4xx(client, method, path, payload, fragment):
    response = client.request(method.upper(), path, json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert fragment in error["message"]


def test_unknown_document_is_a_json_404(client):
    response = client.get("/documents/no-such-doc")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_malformed_json_body_is_a_4xx_not_a_crash(client):
    response = client.post("/search", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "error" in response.json()


QUERY = "脱贫攻坚 成效"


def test_filters_rank_only_matching_documents_and_still_fill_top_k(client):
    def results(**filters):
        response = client.post("/search", json={"query": QUERY, "top_k": 5, "filters": filters})
        assert response.status_code == 200, response.text
        return response.json()["results"]

    recent = results(date_from="2021-01-01")
    assert len(recent) == 5 and {r["date"][:10] for r in recent} == {"2021-01-15"}
    older = results(date_to="2019-12-31")
    assert len(older) == 5 and all(r["date"] and r["date"][:10] <= "2019-12-31" for r in older)
    assert results(date_from="2021-01-15", date_to="2021-01-15")[0]["date"].startswith("2021-01-15")
    assert {r["source"] for r in results(source="四川人大网")} == {"四川人大网"}
    assert {r["doc_id"] for r in results(doc_id=["004_64cb860ea6044d58"])} == {"004_64cb860ea6044d58"}
    assert results(source="no such publisher") == []
    assert results(date_from="2021-02-01", date_to="2021-01-01") == [], "a range that ends before it starts"


def test_get_search_takes_the_same_filters_as_query_parameters(client):
    params = [("q", QUERY), ("doc_id", "002_e14637a2b13cd27a"), ("doc_id", "003_761d59348c6a58d7"), ("top_k", "8")]
    found = client.get("/search", params=params).json()["results"]
    assert len(found) == 8 and {r["doc_id"] for r in found} == {"002_e14637a2b13cd27a", "003_761d59348c6a58d7"}
    dated = client.get("/search", params={"q": QUERY, "date_from": "2019-01-01", "date_to": "2019-12-31"}).json()
    assert {r["doc_id"] for r in dated["results"]} == {"002_e14637a2b13cd27a"}


def test_ask_answers_only_from_matching_documents(client):
    question = {"question": TUMED_QUESTION}
    assert client.post("/ask", json=question).json()["answer"] == "268户"
    elsewhere = client.post("/ask", json={**question, "filters": {"doc_id": ["003_761d59348c6a58d7"]}}).json()
    assert {hit["doc_id"] for hit in elsewhere["evidence"]} == {"003_761d59348c6a58d7"}


@pytest.mark.parametrize(
    "filters",
    [{"date_from": "2021-13-01"}, {"date_to": "yesterday"}, {"unknown": 1}, {"doc_id": "not-a-list"}],
)
def test_bad_filters_are_a_422_that_says_what_is_wrong(client, filters):
    response = client.post("/search", json={"query": QUERY, "filters": filters})
    assert response.status_code == 422
    assert response.json()["error"]["message"]
