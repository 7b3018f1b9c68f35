"""Answer spans from news-style sentences (invented examples), for Chinese and English questions."""

from __future__ import annotations

import time

import pytest

from retriever.ranking.answer_span import classify_question, extract_answer, unit_hint

COMPANY = "2020年5月，内蒙古绿源牧业科技有限公司在红柳村投资2800万元建设肉牛养殖基地。"
HOUSEHOLDS = "沙河镇2019年共有312户856人实现稳定脱贫。"
SITE = "易地扶贫搬迁安置点位于白塔镇石门沟村，距县城12公里。"
TOURISM = "全年接待游客12万余人次，实现旅游收入300多万元。"
WORKSHOPS = "村里建起了三个扶贫车间，先后两次组织技能培训。"
FUNDS = "县财政统筹整合涉农资金1.35亿元，撬动社会资本4600余万元投入产业项目。"
WORKS = "全镇新修通村公路42公里，改造危房316户，新建安置房1.8万平方米。"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("全村有多少户贫困户？", "quantity"),
        ("贫困发生率下降了百分之几？", "quantity"),
        ("温室占地面积多大？", "quantity"),
        ("村里建了几个扶贫车间？", "quantity"),
        ("谁担任驻村第一书记？", "person"),
        ("项目由哪位专家指导？", "person"),
        ("扶贫车间设在哪里？", "place"),
        ("合作社位于哪个村？", "place"),
        ("该县什么时候脱贫摘帽？", "time"),
        ("安置点哪一年建成？", "time"),
        ("哪家公司承建了安置房？", "organization"),
        ("资金由哪个单位拨付？", "organization"),
        ("全县重点发展哪些产业？", "list"),
        ("“三保障”指的是哪三个方面？", "list"),
        ("脱贫攻坚取得了什么成效？", "other"),
        ("How many households were relocated?", "quantity"),
        ("How much money did the county invest?", "quantity"),
        ("What percentage of villagers joined the cooperative?", "quantity"),
        ("How many people who returned home found jobs?", "quantity"),
        ("Who leads the village work team?", "person"),
        ("Where is the relocation site?", "place"),
        ("Which village did the company settle in?", "place"),
        ("When did the county escape poverty?", "time"),
        ("What year was the road completed?", "time"),
        ("Which company built the plant?", "organization"),
        ("What are the three guarantees?", "list"),
        ("Why did the project succeed?", "other"),
    ],
)
def test_classify_question(question: str, kind: str) -> None:
    assert classify_question(question) == kind


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("全村有多少户？", "户"),
        ("新建安置房多少平方米？", "平方米"),
        ("新修公路多少公里？", "公里"),
        ("搬迁了多少人？", "人"),
        ("共投入多少万元？", "元"),
        ("项目投资多少钱？", "元"),
        ("流转土地多少万亩？", "亩"),
        ("组织了几次培训？", "次"),
        ("全村有多少贫困户？", "户"),
        ("贫困发生率是多少？", "%"),
        ("女性劳动力占多大比例？", "%"),
        ("How much money did the county invest?", "元"),
        ("How many poor households were lifted out of poverty?", "户"),
        ("How many people were relocated?", "人"),
        ("What percentage of households joined?", "%"),
        ("How many mu of land were transferred?", "亩"),
        ("村里有什么变化？", None),
        ("How many villages took part?", None),
    ],
)
def test_unit_hint(question: str, unit: str | None) -> None:
    assert unit_hint(question) == unit


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        # quantity: the asked unit wins among several numbers
        ("沙河镇2019年有多少户实现脱贫？", HOUSEHOLDS, "312户"),
        ("How many households in Shahe town escaped poverty in 2019?", HOUSEHOLDS, "312户"),
        ("How many people escaped poverty?", HOUSEHOLDS, "856人"),
        ("How much money did the company invest?", COMPANY, "2800万元"),
        ("安置点距县城多少公里？", SITE, "12公里"),
        ("How far is the site from the county town?", SITE, "12公里"),
        ("温室占地多少亩？", "新建日光温室240座，占地面积360亩。", "360亩"),
        ("新建安置房多少平方米？", WORKS, "1.8万平方米"),
        ("How many households had dilapidated houses renovated?", WORKS, "316户"),
        ("How many kilometres of road were built?", WORKS, "42公里"),
        # English questions are placed by the Chinese for their domain words
        ("How much social capital was leveraged?", FUNDS, "4600余万元"),
        ("How much agricultural funding did the county pool?", FUNDS, "1.35亿元"),
        ("撬动了多少社会资本？", FUNDS, "4600余万元"),
        # qualifiers are kept as written; without a unit hint the number nearest the shared words wins
        ("接待了多少游客？", TOURISM, "12万余人次"),
        ("旅游收入是多少？", TOURISM, "300多万元"),
        ("How many tourists visited?", TOURISM, "12万余人次"),
        ("培训了多少贫困劳动力？", "全镇举办培训班8期，培训贫困劳动力120余人。", "120余人"),
        # rates, and the end value of a change unless the start is asked for
        ("贫困发生率下降到了多少？", "全县贫困发生率由2014年的18.6%下降到0.52%。", "0.52%"),
        ("贫困发生率原来是多少？", "全县贫困发生率由2014年的18.6%下降到0.52%。", "18.6%"),
        ("What percentage of farmers joined cooperatives?", "全村有86.5%的农户加入了合作社。", "86.5%"),
        # Chinese numerals
        ("村里建了几个扶贫车间？", WORKSHOPS, "三个"),
        ("组织了几次技能培训？", WORKSHOPS, "两次"),
        # time
        ("公司什么时候在红柳村投资？", COMPANY, "2020年5月"),
        ("When did the company invest in Hongliu village?", COMPANY, "2020年5月"),
        ("评估组什么时候到该县评估？", "省第三方评估组于3月13日至14日对该县进行了实地评估。", "3月13日至14日"),
        ("全村贫困户什么时候全部脱贫？", "去年底，全村贫困户全部脱贫。", "去年底"),
        # organization, taken whole
        ("Which company invested in the cattle base?", COMPANY, "内蒙古绿源牧业科技有限公司"),
        ("哪家企业在红柳村建设养殖基地？", COMPANY, "内蒙古绿源牧业科技有限公司"),
        (
            "哪家银行与县农牧局签订了协议？",
            "县农牧局与中国邮政储蓄银行五原县支行签订合作协议。",
            "中国邮政储蓄银行五原县支行",
        ),
        # place
        ("养殖基地建在哪个村？", COMPANY, "红柳村"),
        ("Where is the relocation site?", SITE, "白塔镇石门沟村"),
        ("安置点位于白塔镇哪个村？", SITE, "石门沟村"),
        # person, titles stripped
        ("谁带领工作队走访农户？", "驻村第一书记刘建平带领工作队走访了全村126户。", "刘建平"),
        ("Who led the work team?", "驻村第一书记刘建平带领工作队走访了全村126户。", "刘建平"),
        ("谁到村里调研？", "镇长高国庆和扶贫干部到村里调研。", "高国庆"),
        # list: bracketed after the focus, after a lead-in, or named by the question's count
        (
            "“四区合一”指的是哪四类地区？",
            "全省形成“四区合一”（盆周山区、革命老区、连片贫困地区、地震重灾区）的扶贫格局。",
            "盆周山区、革命老区、连片贫困地区、地震重灾区",
        ),
        ("县里确定了哪三个示范村？", "县里确定了南坪村、沟门村和东河村三个示范村。", "南坪村、沟门村和东河村"),
        ("主导产业有哪些？", "全旗主导产业包括肉羊养殖、设施农业和乡村旅游。", "肉羊养殖、设施农业和乡村旅游"),
        (
            "What are the three guarantees?",
            "“三保障”是指义务教育、基本医疗和住房安全有保障。",
            "义务教育、基本医疗和住房安全",
        ),
    ],
)
def test_extract_answer(question: str, sentence: str, answer: str) -> None:
    assert extract_answer(question, sentence) == answer


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("脱贫攻坚取得了什么成效？", HOUSEHOLDS),
        ("Why did the company invest?", COMPANY),
        ("项目投资多少万元？", "项目建成后带动周边群众就业。"),
        ("How many households escaped poverty?", "全村共有贫困人口56人。"),
        ("谁带领村民种植黄花菜？", "村里组织村民种植黄花菜。"),
        ("When was the road built?", "新修的公路通到了村口。"),
        ("哪家公司投资了项目？", "项目建成后带动周边群众就业。"),
    ],
)
def test_no_answer(question: str, sentence: str) -> None:
    assert extract_answer(question, sentence) is None


def test_span_is_taken_from_the_sentence_as_written() -> None:
    assert extract_answer("全村有多少户？", "全村共有２６８户。") == "２６８户"


def test_context_lends_names_but_never_the_span() -> None:
    sentence = "高国庆带领工作队入户走访。"
    context = "白塔镇镇长高国庆介绍，今年全镇已全部脱贫。"
    assert extract_answer("谁带领工作队入户走访？", sentence) is None
    assert extract_answer("谁带领工作队入户走访？", sentence, context) == "高国庆"
    assert extract_answer("谁介绍了全镇脱贫情况？", "全镇已全部脱贫。", context) is None


def test_calls_are_fast() -> None:
    questions = ["哪家企业在红柳村建设养殖基地？", "How many households escaped poverty?", "养殖基地建在哪个村？"]
    extract_answer(questions[0], COMPANY)
    start = time.perf_counter()
    for _ in range(20):
        for question in questions:
            extract_answer(question, COMPANY)
    assert (time.perf_counter() - start) / 60 < 0.01
