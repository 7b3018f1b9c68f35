"""Query expansion end to end: English and abbreviated place names, translated terms, mined aliases."""

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from retriever.lexical import LexicalIndex
from retriever.store import ALIASES_FILE


@pytest.fixture(scope="module")
def client(searcher, settings):
    with TestClient(create_app(settings, searcher=searcher)) as client:
        yield client


def test_english_place_name_expands_to_its_chinese_forms_and_finds_the_passage(client):
    body = client.post("/search", json={"query": "How many households did Tumed Right Banner lift out of poverty?"}).json()
    (place,) = body["expansion"]["places"]
    assert place["mention"] == "Tumed Right Banner" and place["place"] == "土默特右旗"
    assert "土右旗" in place["names"]
    assert any(t["english"] == "lift out of poverty" and "脱贫" in t["chinese"] for t in body["expansion"]["translations"])
    assert "268户" in body["results"][0]["text"]
    assert "<mark>土右旗</mark>" in body["results"][0]["highlight"]


def test_english_question_gets_the_chinese_span(client):
    body = client.post("/ask", json={"question": "How many households did Tumed Right Banner lift out of poverty?"}).json()
    assert body["kind"] == "quantity"
    assert body["answer"] == "268户"
    assert "<mark>268户</mark>" in body["highlight"]


def test_abbreviation_in_a_chinese_question_reaches_the_full_name(client):
    body = client.post("/search", json={"query": "太仆寺旗的新建铁路车站设在哪里？", "top_k": 1}).json()
    assert "西山坡" in body["results"][0]["text"]
    assert "太旗" in body["expansion"]["places"][0]["names"]


def test_abbreviations_mined_from_the_corpus_are_stored_with_the_index(sample_index):
    pairs = json.loads((sample_index / ALIASES_FILE).read_text(encoding="utf-8"))
    assert ["太旗", "太仆寺旗"] in pairs


def test_alternative_names_count_once_in_bm25():
    index = LexicalIndex.build(["土右旗268户脱贫", "包头市召开会议"], k1=0.6, b=0.4)
    once = index.scores("脱贫", [(("土右旗",), 1.0)])
    both = index.scores("脱贫", [(("土右旗", "土默特右旗", "土右"), 1.0)])
    assert both[0] == pytest.approx(once[0])
    assert both[1] == 0
