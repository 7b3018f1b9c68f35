"""Place-name gazetteer: English and short forms expand to canonical Chinese names; abbreviations mined from text."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from retriever.query.aliases import DEFAULT_GAZETTEER, Gazetteer, mine_abbreviations

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"
INNER_MONGOLIA_PREFECTURES = {
    "呼和浩特市",
    "包头市",
    "乌海市",
    "赤峰市",
    "通辽市",
    "鄂尔多斯市",
    "呼伦贝尔市",
    "巴彦淖尔市",
    "乌兰察布市",
    "兴安盟",
    "锡林郭勒盟",
    "阿拉善盟",
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def places(gazetteer: Gazetteer, query: str) -> list[str]:
    return [expansion.place for expansion in gazetteer.expand(query)]


@pytest.mark.parametrize(
    ("query", "place"),
    [
        ("How many households did Tumed Right Banner lift out of poverty?", "土默特右旗"),
        ("What is the poverty rate of Jalaid Banner?", "扎赉特旗"),
        ("Which agency helps Taibus Banner?", "太仆寺旗"),
        ("Who helps Taibus?", "太仆寺旗"),
        ("How many registered households does Alxa League have?", "阿拉善盟"),
        ("Ejin Banner", "额济纳旗"),
        ("Hohhot", "呼和浩特市"),
        ("Darhan Muminggan United Banner", "达尔罕茂明安联合旗"),
        ("Horqin Right Front Banner", "科尔沁右翼前旗"),
        ("Old Barag Banner", "陈巴尔虎旗"),
        ("Xilingol League", "锡林郭勒盟"),
        ("Hulunbuir", "呼伦贝尔市"),
        ("Inner Mongolia", "内蒙古自治区"),
        ("Cangxi County", "苍溪县"),
        ("Tumote Youqi", "土默特右旗"),  # the pinyin of the full name
    ],
)
def test_english_and_pinyin_name_their_place(gazetteer: Gazetteer, query: str, place: str) -> None:
    assert places(gazetteer, query) == [place]


def test_expansion_carries_the_mention_as_written_and_all_chinese_names(gazetteer: Gazetteer) -> None:
    [expansion] = gazetteer.expand("Poverty in  TUMED right-banner, 2020")
    assert expansion.mention == "TUMED right-banner"
    assert expansion.place == "土默特右旗"
    assert expansion.names[0] == "土默特右旗" and "土右旗" in expansion.names


@pytest.mark.parametrize(
    "query", ["Xilin Gol League", "xilingol league", "XILIN-GOL LEAGUE", "Ürümqi", "Urumqi", "Xi'an"]
)
def test_latin_matching_ignores_case_spacing_hyphens_accents_and_apostrophes(gazetteer: Gazetteer, query: str) -> None:
    assert len(gazetteer.expand(query)) == 1


def test_the_longest_exonym_wins(gazetteer: Gazetteer) -> None:
    assert places(gazetteer, "Alxa Left Banner and Alxa Right Banner") == ["阿拉善左旗", "阿拉善右旗"]
    assert places(gazetteer, "Ejin Horo Banner") == ["伊金霍洛旗"]


@pytest.mark.parametrize(
    "query", ["Right", "Left", "Front", "Banner", "the left banner", "an da", "Guiding principles"]
)
def test_bare_level_and_direction_words_name_nothing(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.expand(query) == []


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("土右旗", "土默特右旗"),
        ("扎旗", "扎赉特旗"),
        ("太旗", "太仆寺旗"),
        ("阿左旗", "阿拉善左旗"),
        ("达茂旗", "达尔罕茂明安联合旗"),
    ],
)
def test_chinese_short_and_full_forms_expand_to_each_other(gazetteer: Gazetteer, short: str, full: str) -> None:
    from_short = {e.place: e.names for e in gazetteer.expand(f"{short}的贫困户有多少？")}
    from_full = {e.place: e.names for e in gazetteer.expand(f"{full}的贫困户有多少？")}
    assert full in from_short and short in from_short[full]
    assert list(from_full) == [full] and short in from_full[full]


def test_an_ambiguous_short_form_expands_to_every_place(gazetteer: Gazetteer) -> None:
    assert set(places(gazetteer, "扎旗")) == {"扎赉特旗", "扎鲁特旗"}


def test_chinese_matching_is_longest_first_and_non_overlapping(gazetteer: Gazetteer) -> None:
    expansions = gazetteer.expand("内蒙古包头市土默特右旗和阿拉善左旗")
    assert [(e.mention, e.place) for e in expansions] == [
        ("内蒙古", "内蒙古自治区"),
        ("包头市", "包头市"),
        ("土默特右旗", "土默特右旗"),
        ("阿拉善左旗", "阿拉善左旗"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "How many households lifted out of poverty on the right bank?",
        "What did the county government do for the front-line workers?",
        "According to Xinhua, the banner was raised in the new district.",
        "要求各旗县落实责任",
        "推进乡村振兴和脱贫攻坚有效衔接",
        "发展农业和林业，拓宽市场销路",
        "城区和郊区的人口是多少？",
        "县城的道路和健康县城建设",
        "五星红旗飘扬，旗帜鲜明",
        "他去了多伦多和明尼苏达州",
    ],
)
def test_ordinary_sentences_name_no_place(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.expand(query) == []


def test_chinese_names_serve_a_tokenizer_dictionary(gazetteer: Gazetteer) -> None:
    names = set(gazetteer.chinese_names())
    assert {"土默特右旗", "土右旗", "呼和浩特市", "呼市", "扎赉特旗", "扎旗"} <= names
    assert "多伦多" not in names and all(len(name) >= 2 for name in names)


def rows() -> list[dict[str, str]]:
    header, *lines = DEFAULT_GAZETTEER.read_text(encoding="utf-8").splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"))) for line in lines]


def test_coverage_by_level() -> None:
    levels = Counter(row["level"] for row in rows())
    assert levels["province"] == 34
    assert levels["prefecture"] >= 330
    im_prefectures = {row["name"] for row in rows() if row["parent"] == "内蒙古自治区"}
    assert im_prefectures == INNER_MONGOLIA_PREFECTURES
    im_counties = [row for row in rows() if row["level"] == "county" and row["parent"] in INNER_MONGOLIA_PREFECTURES]
    assert len(im_counties) >= 100


def test_rows_are_well_formed() -> None:
    table = rows()
    names = {row["name"] for row in table}
    assert all(len(row) == 6 for row in table)
    assert all(row["level"] in {"province", "prefecture", "county"} for row in table)
    assert all((row["parent"] == "") == (row["level"] == "province") for row in table)
    assert all(row["parent"] in names for row in table if row["parent"])
    assert all(row["english"] and row["pinyin"] for row in table)
    duplicates = [key for key, n in Counter((row["name"], row["parent"]) for row in table).items() if n > 1]
    assert duplicates == []


def test_inner_mongolia_banners_have_mongolian_exonyms(gazetteer: Gazetteer) -> None:
    by_name = {place.name: place for place in gazetteer.places}
    assert "Tumed Left Banner" in by_name["土默特左旗"].english
    assert "Jalaid Banner" in by_name["扎赉特旗"].english
    assert "Urad Front Banner" in by_name["乌拉特前旗"].english
    assert "Hanggin Banner" in by_name["杭锦旗"].english
    assert "Bayannur" in by_name["巴彦淖尔市"].english


def test_mining_finds_the_short_form_used_in_an_article() -> None:
    text = (CORPUS / "004_64cb860ea6044d58.txt").read_text(encoding="utf-8")
    assert mine_abbreviations(text) == [("太旗", "太仆寺旗")]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.stem)
def test_mining_finds_nothing_spurious_in_the_sample_corpus(gazetteer: Gazetteer, path: Path) -> None:
    by_name = {place.name: place for place in gazetteer.places}
    for short, full in mine_abbreviations(path.read_text(encoding="utf-8"), gazetteer):
        assert full in by_name and short in by_name[full].aliases, (short, full)


def test_mining_rules() -> None:
    text = "科尔沁右翼前旗召开会议。科右前旗各苏木镇参加。全椒县、全县、白音锡勒镇干部和白镇群众。红旗镇升起红旗。"
    pairs = mine_abbreviations(text)
    assert ("科右前旗", "科尔沁右翼前旗") in pairs
    assert ("白镇", "白音锡勒镇") in pairs
    assert not any(short in {"全县", "红旗", "各苏木"} for short, _ in pairs)
    assert mine_abbreviations("科右前旗召开会议。") == []  # the full name must occur too


def test_with_aliases_adds_pairs_to_a_copy(gazetteer: Gazetteer) -> None:
    extended = gazetteer.with_aliases([("太仆旗", "太仆寺旗"), ("白镇", "白音锡勒镇")])
    assert places(extended, "太仆旗") == ["太仆寺旗"]
    [town] = extended.expand("白镇有多少户？")
    assert (town.place, town.names) == ("白音锡勒镇", ("白音锡勒镇", "白镇"))
    assert gazetteer.expand("太仆旗") == []


def test_load_and_expand_are_fast() -> None:
    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    assert time.perf_counter() - started < 0.5
    queries = [
        "How many households did Tumed Right Banner lift out of poverty in 2020?",
        "扎赉特旗的贫困发生率降到了多少？",
        "What did the National People's Congress do for Taibus Banner and Alxa League?",
        "全国人大机关派了多少干部到太旗挂职？",
    ] * 250
    started = time.perf_counter()
    for query in queries:
        gazetteer.expand(query)
    assert time.perf_counter() - started < 0.5
