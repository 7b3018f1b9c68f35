"""Query expansion end to end: English and abbreviated place names, translated terms, mined aliases."""

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from retriever import Retriever
from retriever.indexes.lexical import LexicalIndex
from retriever.indexes.store import ALIASES_FILE
from retriever.query.aliases import default_gazetteer
from retriever.query.expand import QueryExpander, written_as_is
from retriever.query.tokenize import Tokenizer
from retriever.reading.text import question_language


@pytest.fixture(scope="module")
def client(searcher, settings):
    with TestClient(create_app(settings, retriever=Retriever(searcher))) as client:
        yield client


def test_english_place_name_expands_to_its_chinese_forms_and_finds_the_passage(client):
    body = client.post("/search", json={"query": "How many households did Tumed Right Banner lift out of poverty?"}).json()
    assert body["expansion"]["language"] == "en"
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
    assert body["expansion"]["language"] == "zh"
    assert "西山坡" in body["results"][0]["text"]
    assert "太旗" in body["expansion"]["places"][0]["names"]


def test_abbreviations_mined_from_the_corpus_are_stored_with_the_index(sample_index):
    pairs = json.loads((sample_index / ALIASES_FILE).read_text(encoding="utf-8"))
    assert ["太旗", "太仆寺旗"] in pairs


def test_alternative_names_count_once_in_bm25():
    index = LexicalIndex.build(["土右旗268户脱贫", "包头市召开会议"], Tokenizer(), k1=0.6, b=0.4)
    once = index.scores("脱贫", [(("土右旗",), 1.0)])
    both = index.scores("脱贫", [(("土右旗", "土默特右旗", "土右"), 1.0)])
    assert both[0] == pytest.approx(once[0])
    assert both[1] == 0


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("How many households did Tumed Right Banner lift out of poverty?", "en"),
        ("土右旗有多少户脱贫？", "zh"),
        ("5G基站建了多少个？", "zh"),
        ("What does 土右旗 mean?", "en"),
        ("“machine learning”是什么意思？", "zh"),
        ("GDP增长了多少", "zh"),
        ("MIT OpenCourseWare指什么？", "zh"),
        ("《This Is Where I Came In》是Bee Gees的第几张原创专辑？", "zh"),
    ],
)
def test_question_language_follows_the_script_most_of_it_is_written_in(question, language):
    assert question_language(question) == language


def test_only_what_chinese_text_writes_as_is_survives_from_an_english_question():
    assert written_as_is("Did 5G reach the G111 road, raising GDP in the 1990s or 2020 for 2nd iPhone users?") == [
        "5G",
        "G111",
        "GDP",
        "1990",
        "2020",
        "2",
        "iPhone",
    ]


def test_english_amounts_reach_bm25_in_their_chinese_forms():
    plan = QueryExpander(default_gazetteer()).plan("Which project cost 3 million yuan and employed 12,000 people?")
    amounts = {term.english: term.chinese for term in plan.terms if term.english[0].isdigit()}
    assert amounts == {"3 million": ("300万", "3000000"), "12,000": ("1.2万", "12000")}
    assert plan.lexical_text == ""


def test_the_domain_glossary_gives_the_sense_government_articles_use():
    plan = QueryExpander(default_gazetteer()).plan("Who is the party secretary of the village and how many mu?")
    translated = {term.english: term.chinese for term in plan.terms}
    assert translated["party secretary"][0] == "党委书记"
    assert translated["village"][0] == "村"
    assert translated["mu"] == ("亩",)


def test_english_words_do_not_match_stray_latin_text_in_bm25():
    texts = ["土右旗268户590人未脱贫人口已全部脱贫退出", "Many households in the banner lift poverty out of mind"]
    index = LexicalIndex.build(texts, Tokenizer(), k1=0.6, b=0.4)
    plan = QueryExpander(default_gazetteer()).plan("How many households did Tumed Right Banner lift out of poverty?")
    assert plan.language == "en" and plan.lexical_text == ""
    groups = [(group, 1.0) for group in plan.name_groups + plan.translation_groups]
    scores = index.scores(plan.lexical_text, groups)
    assert scores[0] > 0 and scores[1] == 0
