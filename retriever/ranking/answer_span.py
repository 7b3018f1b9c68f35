"""Answer spans: the shortest piece of an evidence sentence that answers a question.

The question (Chinese or English) decides the kind of answer; candidates of that kind are found in the
Chinese sentence by patterns and jieba part-of-speech tags, and the one nearest the words the sentence shares
with the question wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from retriever.query.postag import Token, tag, tagger
from retriever.reading.text import to_simplified

QuestionKind = Literal["quantity", "person", "place", "time", "organization", "list", "other"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CJK = re.compile(r"[\u4e00-\u9fff]")
_FULL_WIDTH = str.maketrans({chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
_CLAUSE_BREAK = re.compile(r"[,;:!?，；：。！？]")

# In priority order: a Chinese question takes the first kind that matches, an English one the earliest match.
_KIND_PATTERNS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "time",
        re.compile(
            r"什么时候|什么时间|什么时期|什么年代|何时|哪一?年(?!龄)|哪个?月|几月|哪一?天|哪一?日|几号|几点"
            r"|哪[个一]?(?:朝代|时期|年代)|(?:时间|日期|年份)(?:是|为)?[？?]?$"
            r"|\bwhen\b|\b(?:what|which) (?:year|month|date|day|time)\b"
        ),
    ),
    (
        "list",
        re.compile(
            r"哪些|哪几|哪[两二三四五六七八九十]+[个类种项家条方点位大所座]"
            r"|\b(?:what|which) (?:two|three|four|five|six|seven|eight|nine|ten)\b|\bwhat (?:are|were) the\b"
        ),
    ),
    (
        "quantity",
        re.compile(
            r"多少|(?<!哪)几(?![乎何])|(?<![很许诸众差])多[大长高远重久宽深厚]|百分之几|比例|比重|占比"
            r"|\bhow (?:many|much|long|far|large|big|high|tall|old|often)\b"
            r"|\bwhat (?:percentage|percent|proportion|share|fraction|ratio|rate|amount|number)\b"
        ),
    ),
    (
        "organization",
        re.compile(
            r"(?:哪|什么)(?:一?[家个所支])?(?:公司|企业|单位|机构|部门|组织|银行|学校|大学|学院|中学"
            r"|小学|医院|合作社|集团|团体|球队|队|俱乐部|政党|党派|杂志|报社|电视台)"
            r"|哪家|\b(?:which|what) (?:company|companies|firm|enterprise|organi[sz]ation|agency|department|bank"
            r"|institution|university|school|hospital|cooperative|ministry|bureau)\b"
        ),
    ),
    ("person", re.compile(r"谁|哪一?位|什么人|\bwho(?:m|se)?\b|\bwhich (?:person|official|leader|expert)\b")),
    (
        "place",
        re.compile(
            r"哪里|哪儿|在哪(?![部张本首篇家所项种位些年天])|何处|何地|什么地方|籍贯|祖籍"
            r"|哪一?[个座]?(?:村|镇|乡|县|旗|市|区|省|州|国家|国|地区|城市|地方|山|湖|河|岛)|\bwhere\b"
            r"|\b(?:which|what) (?:place|village|town|township|county|city|province|district|region|country|area)\b"
        ),
    ),
)

_CN_DIGIT = "零〇一二两三四五六七八九十百千"
_CN_NUMBER = rf"[几数]?[{_CN_DIGIT}][{_CN_DIGIT}万亿几]*(?:点[零〇一二三四五六七八九]+)?"
_NUMBER = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?|{_CN_NUMBER})"
_UNIT_FAMILIES: tuple[frozenset[str], ...] = tuple(
    _words(family)
    for family in (
        "元 美元 欧元 日元 日圆 港元 港币 英镑 加元 澳元 韩元 美金 台币 新台币 越南盾 卢布",
        "平方米 平方公里 平方千米 亩 公顷 km² m²",
        "公里 千米 米 厘米 毫米 公分 公尺 英尺 英里 km cm mm m",
        "吨 公斤 千克 克 斤 kg",
        "% ‰ 个百分点 成",
        "人 名 位 人次",
        "户",
        "天 年 个月 周 小时 分钟 秒",
    )
)
_MEASURE_WORDS = _words(
    "个 家 所 座 间 栋 套 台 辆 架 艘 条 项 件 批 次 场 届 轮 种 类 周年 岁 倍 头 只 "
    "株 棵 本 册 篇 张 份 层 处 块 股 首 枚 发 立方米 千瓦时 千瓦"
)
_LATIN_UNITS = frozenset({"km²", "m²", "km", "cm", "mm", "m", "kg", "GHz", "MHz"})
_CJK_UNIT = "|".join(
    sorted(
        {unit for family in _UNIT_FAMILIES for unit in family} - _LATIN_UNITS - {"%", "‰"} | set(_MEASURE_WORDS),
        key=len,
        reverse=True,
    )
)
_LATIN_UNIT = "|".join(sorted(_LATIN_UNITS, key=len, reverse=True))
_UNIT = rf"{_CJK_UNIT}|\s?(?:{_LATIN_UNIT})(?![A-Za-z])|[%‰]"
_AMOUNT = rf"{_NUMBER}(?:[余多]?[十百千万亿]*[-~～—至到]{_NUMBER})?[余多]?[十百千万亿]*[余多]?"
_QUANTITY = re.compile(
    rf"(?<![第之统唯初周同单逐专合归不每\d.A-Za-z])(?:近|约|逾|超过|将近|大约|不到|不足|超)?"
    rf"{_AMOUNT}(?P<unit>{_UNIT})(?:[-~～—至到]{_AMOUNT}(?:{_UNIT}))?(?:左右|以上)?"
    rf"|百分之{_CN_NUMBER}"
)
_ORDINAL = re.compile(rf"第{_NUMBER}(?:{_CJK_UNIT})?")
_YEAR_NUMBER = re.compile(r"(?:近|约)?(?:\d{4}|[零〇一二三四五六七八九]{4})年")
_DIMENSION = re.compile(r"多([长宽高深重远厚])")

_HINT_AFTER_ASKING = re.compile(
    rf"(?:多少|几)[十百千万亿]*(?P<unit>{_CJK_UNIT}|钱)"
    r"|(?:多少|几)[\u4e00-\u9fff]{0,3}?(?P<noun>户|人口|人|群众|村民|农民|居民|职工|工人|学生)"
)
_EN_UNITS = {
    "households": "户",
    "families": "户",
    "people": "人",
    "persons": "人",
    "residents": "人",
    "villagers": "人",
    "yuan": "元",
    "mu": "亩",
    "hectares": "公顷",
    "square meters": "平方米",
    "square metres": "平方米",
    "square kilometers": "平方公里",
    "square kilometres": "平方公里",
    "kilometers": "公里",
    "kilometres": "公里",
    "km": "公里",
    "meters": "米",
    "metres": "米",
    "tons": "吨",
    "tonnes": "吨",
    "times": "次",
    "years": "年",
    "days": "天",
    "months": "个月",
    "companies": "家",
    "enterprises": "家",
}
_EN_UNIT = re.compile(rf"\bhow many (?:[a-z-]+ ){{0,2}}?({'|'.join(sorted(_EN_UNITS, key=len, reverse=True))})\b")
# Cue words when the question names no unit after 多少/几; the first family that matches wins.
_HINT_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "天",
        re.compile(
            r"多久|多长时间|时长|\bhow long (?:did|does|do|will|has|have|had|would)\b|\bhow many (?:days|weeks)\b"
        ),
    ),
    ("%", re.compile(r"率|比例|比重|占比|百分|份额|percent|proportion|\bshare\b|\brate\b|\bratio\b")),
    (
        "元",
        re.compile(
            r"钱|资金|资本|资产|金额|投资|投入|收入|费用|经费|成本|产值|总值|营收|销售额|票房|利润|工资|价格|价值"
            r"|补贴|奖励|预算|贷款|税|耗资|斥资"
            r"|money|fund|invest|income|revenue|cost|spen[dt]|budget|\bloan|\bsubsid|profit|salary|price|yuan"
            r"|\bearn|\bpa(?:y|id)\b|\braise"
        ),
    ),
    ("平方米", re.compile(r"面积|多大面积|square (?:met|kilomet)|\bmu\b|hectare|\bacre|how (?:large|big)|\barea\b")),
    ("米", re.compile(r"多高|高度|海拔|深度|宽度|多深|多宽|how (?:high|tall|deep|wide)|height|altitude")),
    ("公里", re.compile(r"多长|长度|多远|距离|里程|路程|kilomet|\bkm\b|how (?:long|far)|distance|length")),
    ("吨", re.compile(r"多重|重量|体重|\btons?\b|\btonnes?\b")),
    ("岁", re.compile(r"年龄|年纪|多少岁|how old")),
    ("户", re.compile(r"户数|households?|famil(?:y|ies)")),
    (
        "人",
        re.compile(
            r"人数|人口|\b(?:people|persons|residents|villagers|farmers|workers|students|employees|tourists"
            r"|visitors|individuals)\b"
        ),
    ),
    ("次", re.compile(r"how many times|how often")),
    ("年", re.compile(r"how many years")),
    ("家", re.compile(r"how many (?:companies|enterprises|firms|cooperatives)")),
)

_PLACE_SUFFIX = "村镇乡县旗市区省州山坡岭峰湖河江海岛湾站港街路桥屯寨沟"
_GENERIC_PLACES = _words(
    "全村 本村 该村 各村 农村 乡村 贫困村 城市 城区 市区 山区 地区 社区 景区 园区 小区 老区 "
    "灾区 重灾区 街道 道路 公路 全县 本县 该县 各县 全市 本市 该市 全镇 各镇 全省 本省 全区 "
    "各区 乡镇 城镇 集镇 河道 江河 湖泊 大海 沿海"
)
_ORG_SUFFIXES = _words(
    "公司 集团 合作社 委员会 银行 支行 分行 大学 学院 学校 中学 小学 幼儿园 医院 卫生院 中心 "
    "协会 学会 商会 基金会 研究所 研究院 办公室 政府 法院 检察院 联合会 联社 工会 党委 支部 "
    "企业 工厂 农场 电视台 报社 出版社 俱乐部 局 厅 部 院 办 署 委 社 所 队 党"
)
_NOT_ORGS = _words("全部 内部 外部 局部 干部 部分 东部 西部 南部 北部 中部 局面 结局 格局 大局 布局 当局 社会 社区")
_TITLE = (
    r"(?:党支部|党委|总|副|常务)?(?:书记|主任|县长|镇长|乡长|村长|市长|省长|区长|旗长|局长|厅长|部长|处长|科长"
    r"|主席|总经理|经理|董事长|理事长|会长|院长|校长|所长|站长|队长|组长|社长|负责人|先生|女士|同志|教授|博士"
    r"|医生|老师|记者|代表|委员)"
)
_TRAILING_TITLES = re.compile(rf"{_TITLE}+$")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔"
)
# A Chinese name right after a title (镇长刘国庆和…), which jieba often splits into surname and word.
_TITLED_NAME = re.compile(
    rf"{_TITLE}(?P<name>[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    r"(?=说|介绍|表示|指出|强调|认为|告诉|带领|和|与|及|在|到|等|同志|一行|[、，,。；;：:]|$)"
)
_NAMEISH = frozenset(
    {"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "nw", "j", "zg", "ng", "eng", "b", "vn", "an", "l", "i"}
)
_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
_LOCATIVE = _words(
    "在 于 位于 位在 设在 设于 落户 落户在 坐落 坐落于 坐落在 座落 座落于 地处 建在 建于 生于 "
    "出生于 来自 前往 迁往 迁至 源于 源自 起源于 发源于 原产于 产于 发现于"
)
_HOMETOWN = re.compile(r"哪里人|哪儿人|哪国人|什么地方人|籍贯|祖籍|\bwhere (?:is|was|are|were) \w+(?: \w+)? from\b")
_ORG_TYPES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"银行|\bbank"), ("银行", "支行", "分行")),
    (re.compile(r"合作社|cooperative"), ("合作社", "联社")),
    (re.compile(r"大学|学校|universit|college|school"), ("大学", "学院", "学校", "中学", "小学")),
    (re.compile(r"医院|hospital"), ("医院", "卫生院")),
    (re.compile(r"公司|集团|企业|compan|\bfirm|enterprise"), ("公司", "集团", "企业", "合作社", "厂")),
    (
        re.compile(r"部门|机构|agency|department|bureau|ministry"),
        ("局", "厅", "部", "办", "委", "署", "中心", "办公室"),
    ),
)
_FROM_VALUE = re.compile(r"的?(?:降|减|增|提高|提升|上升|下降|升|跌|涨|扩大|缩小|到|至)")
_ASKS_FROM = re.compile(r"从|由|原来|原先|最初|\bfrom\b|initial|original")

_QUESTION_WORDS = _words(
    "多少 什么 哪些 哪里 哪儿 哪个 哪家 哪位 哪年 哪天 何时 何处 为何 如何 怎么 怎样 为什么 "
    "是否 几个 几年 什么样 哪一年 哪一个 哪一位 什么时候 什么地方 分别 主要 指的是"
)
# English question words and the Chinese a news sentence would use for them, to place English questions.
_EN_GLOSSARY: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(rf"\b(?:{english})"), tuple(chinese.split()))
    for english, chinese in (
        ("invest", "投资 投入"),
        ("income|earn", "收入"),
        ("loan|credit", "贷款 信贷"),
        ("subsid", "补贴 补助"),
        ("capital", "资本"),
        ("social", "社会"),
        ("fund", "资金 基金"),
        ("relocat|resettle|move", "搬迁 安置"),
        ("poor|poverty", "贫困 脱贫"),
        ("touris|visitor", "旅游 游客"),
        ("road|highway", "公路 道路"),
        ("hous(?:e|es|ing)\b|home", "住房 房屋 安置房"),
        ("train", "培训"),
        ("employ|job|work", "就业 务工"),
        ("industr", "产业 工业"),
        ("greenhouse", "温室 大棚"),
        ("cattle|cow", "肉牛 奶牛"),
        ("sheep", "肉羊 养羊"),
        ("school|student", "学校 学生"),
        ("hospital|clinic", "医院 卫生院 卫生室"),
        ("land|farmland", "土地 耕地"),
        ("cooperative", "合作社"),
        ("compan|enterprise|firm", "公司 企业"),
        ("villag", "村民 全村"),
        ("county", "全县 县城"),
        ("water", "饮水 用水"),
        ("solar|photovolta", "光伏"),
        ("plant|grow", "种植"),
        ("breed|livestock|raise", "养殖"),
        ("insur", "保险 参保"),
        ("medical|health", "医疗 健康"),
        ("educat", "教育"),
        ("build|built|construct", "建设 新建 修建"),
        ("complet|finish", "建成 竣工 完成"),
        ("sale|sell|sold", "销售"),
        ("output|produc", "产值 产量"),
        ("increas|rise|rose", "增长 增加 提高"),
        ("reduc|declin|drop|fell|fall", "下降 降至 减少"),
    )
)
_CN_COUNTS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_LIST_COUNT = re.compile(
    r"哪([两二三四五六七八九十])|\b(?:what|which) (two|three|four|five|six|seven|eight|nine|ten)\b"
)
_LIST_LEAD = re.compile(
    r"是指|指的是|即|包括|包含|分别是|分别为|分别有|依次为|依次是|主要有|主要是|确定了?|涵盖|涉及|：|:"
)
_LIST_INTRO = re.compile(r"(?:分别是|分别为|分别有|依次为|依次是|包括|包含|如下)[：:]?(?P<items>[^。；;]+)")
_LIST_SEPARATOR = re.compile(r"以及|、|，|,|；|和|及|与")
_LIST_END = re.compile(r"等|[\d一二两三四五六七八九十]+[个类项家条种所座大名位]")
_BRACKETED = re.compile(r"[（(](?P<items>[^（）()]{3,})[）)]")
_LIST_ITEM = r"[^、，,。；;：:（）()“”\"《》\s]{1,20}"
_ENUMERATION = re.compile(rf"{_LIST_ITEM}(?:、{_LIST_ITEM})+|{_LIST_ITEM}(?:和|及|以及|与){_LIST_ITEM}")
# What may stand between the question's words and a list that answers it: …指（A、B）, 确定了A、B, A、B等三个示范村.
_LEAD_GAP = re.compile(
    r"[了的“”\"《（(\s]*(?:包括|包含|分别是|分别为|分别有|主要有|主要是|依次为|即|有|为|是)?[：:“”\"《（(\s]*"
)
_TAIL_GAP = re.compile(r"[”\"》）)\s]*等?(?:[\d一二两三四五六七八九十]+[个类项家条种所座大名位])?[”\"》）)\s]*")

_DATE_PART = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR = r"(?:公元前?)?(?:\d{4}|[零〇一二三四五六七八九]{4}|(?<=公元|元前)\d{1,3})年"
_RANGE = r"[至到—\-~～]"
_DATE = (
    rf"(?:{_YEAR}(?:{_DATE_PART}月(?:{_DATE_PART}[日号])?)?|{_DATE_PART}月{_DATE_PART}[日号]"
    rf"|{_DATE_PART}(?:{_RANGE}{_DATE_PART})?月)(?:[初底末中]|上旬|中旬|下旬|上半年|下半年|前后|以来)?"
)
_TIME = re.compile(
    r"(?:[\u4e00-\u9fff]{2}(?:元|\d{1,2}|[一二三四五六七八九十]{1,3})年\s?[（(](?:公元)?\d{3,4}年[)）])"
    r"|(?:\d{4}|\d{1,2}世纪\d{2})年代(?:初期?|中期|末期?|以来|以后)?"
    r"|(?:公元前?)?[\d一二三四五六七八九十]+世纪(?:[初中末]期?|以来)?"
    rf"|(?<!\d){_DATE}(?:{_RANGE}{_DATE}|{_RANGE}{_DATE_PART}[日号])?"
    r"|(?:去年|今年|明年|前年|当年|同年|次年|上年)(?:底|初|末|年底|年初|上半年|下半年|\d{1,2}月(?:\d{1,2}[日号])?)?"
    r"|年[初底末]|[上下]半年|第?[一二三四]季度|近年来|近日|日前|[春夏秋冬][季天]"
    r"|(?:上午|下午|晚上|凌晨|中午|早上)?(?:\d{1,2}(?:时|点)(?:\d{1,2}分|半)?|\d{1,2}:\d{2}(?:[~～\-]\d{1,2}:\d{2})?)"
)
_BRACKET_BETWEEN = re.compile(r"\s*(?:[（(][^（）()]{1,12}[)）])?\s*")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    tier: int = 0


def matchable_form(text: str) -> str:
    """Half-width, Simplified form of the same length as ``text`` (the patterns here are Simplified), so that
    offsets found in it hold in ``text``."""
    half_width = text.translate(_FULL_WIDTH)
    simplified = to_simplified(half_width)
    return simplified if len(simplified) == len(half_width) else half_width


def classify_question(question: str) -> QuestionKind:
    """quantity, person, place, time, organization or list when the question asks for one, else other."""
    text = matchable_form(question).lower()
    matches = [
        (match.start(), rank, kind)
        for rank, (kind, pattern) in enumerate(_KIND_PATTERNS)
        if (match := pattern.search(text))
    ]
    if not matches:
        return "other"
    if not _CJK.search(text):
        return min(matches)[2]
    return min(matches, key=lambda found: found[1])[2]


def unit_hint(question: str) -> str | None:
    """The unit the question asks for, without magnitude (多少万元 → 元), or None when it names none.

    元 stands for any amount of money, % for any rate; matching is by unit family (元/万元/亿元, 亩/平方米, …).
    """
    text = matchable_form(question).lower()
    if match := _HINT_AFTER_ASKING.search(text):
        if unit := match.group("unit"):
            return "元" if unit == "钱" else unit
        return "户" if match.group("noun") == "户" else "人"
    if match := _EN_UNIT.search(text):
        return _EN_UNITS[match.group(1)]
    return next((unit for unit, cue in _HINT_CUES if cue.search(text)), None)


def required_units(hint: str | None) -> frozenset[str] | None:
    """The units a number must carry to answer a question whose unit hint is ``hint``: its whole family (money,
    area, length, weight, rate, people, households, duration), or None when any unit will do (measure words)."""
    return next((family for family in _UNIT_FAMILIES if hint in family), None) if hint else None


def family_of(unit: str) -> frozenset[str]:
    return next((family for family in _UNIT_FAMILIES if unit in family), frozenset({unit}))


def _anchors(question: str, sentence: str) -> list[tuple[int, int]]:
    """Where the sentence repeats the question's content words: tokens of two or more characters, the
    dimension asked by 多长/多高 … (长, 高), which Chinese puts right before the figure (长702米), and the
    Chinese for an English question's domain words."""
    lowered = question.translate(_FULL_WIDTH).lower()
    words = {
        word
        for word in tagger().tokenizer.cut(lowered)
        if len(word) >= 2 and word not in _QUESTION_WORDS and not word.isspace()
    }
    words.update(_DIMENSION.findall(lowered))
    words.update(word for english, chinese in _EN_GLOSSARY if english.search(lowered) for word in chinese)
    lowered = sentence.lower()
    return [(match.start(), match.end()) for word in words for match in re.finditer(re.escape(word), lowered)]


def _best(candidates: Iterable[Candidate], question: str, sentence: str) -> Candidate | None:
    """The candidate of lowest tier, then in the clause sharing most with the question, then nearest those words.

    Candidates that the question itself contains are not answers.
    """
    asked = question.translate(_FULL_WIDTH)
    candidates = [c for c in candidates if sentence[c.start : c.end] not in asked]
    if not candidates:
        return None
    anchors = _anchors(question, sentence)
    clauses = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(sentence)] + [len(sentence) + 1]

    def clause_of(position: int) -> int:
        return next(i for i, boundary in enumerate(clauses) if boundary > position) - 1

    def key(candidate: Candidate) -> tuple[int, int, int, int]:
        clause = clause_of(candidate.start)
        shared = {sentence[s:e] for s, e in anchors if clause_of(s) == clause}
        distance = min((max(s - candidate.end, candidate.start - e, 0) for s, e in anchors), default=0)
        return candidate.tier, -sum(map(len, shared)), distance, candidate.start

    return min(candidates, key=key)


def _quantities(question: str, sentence: str) -> list[Candidate]:
    """Numbers with units (ordinals when asked 第几).

    A hinted unit of a family (money, area, length, weight, rate, people, households, duration) is required, a
    hinted measure word (个, 次 …) only preferred; a starting value (由12.5%降至…) comes last unless asked for.
    """
    if "第几" in question:
        return [Candidate(m.start(), m.end()) for m in _ORDINAL.finditer(sentence)]
    hint = unit_hint(question)
    wanted = family_of(hint) if hint else frozenset()
    strict = required_units(hint) is not None
    asks_from = _ASKS_FROM.search(question.lower())
    found = []
    for match in _QUANTITY.finditer(sentence):
        unit = (match.group("unit") or "%").strip()
        if unit == "年" and _YEAR_NUMBER.fullmatch(match.group()) or strict and unit not in wanted:
            continue
        starting_value = not asks_from and _FROM_VALUE.match(sentence, match.end()) is not None
        other_unit = bool(wanted) and unit not in wanted
        found.append(Candidate(match.start(), match.end(), tier=2 * other_unit + starting_value))
    return found


def _times(sentence: str) -> list[Candidate]:
    """Dates and times; pieces apart only by a bracket join up (1993年（民国82年）1月24日)."""
    found: list[Candidate] = []
    for match in _TIME.finditer(sentence):
        if found and _BRACKET_BETWEEN.fullmatch(sentence, found[-1].end, match.start()):
            found[-1] = Candidate(found[-1].start, match.end())
        else:
            found.append(Candidate(match.start(), match.end()))
    return found


def _persons(sentence: str, tokens: Sequence[Token]) -> list[Candidate]:
    """jieba person names (joined across ·, trailing titles removed) and names right after a title."""
    found: list[Candidate] = []
    for index, token in enumerate(tokens):
        if token.flag not in _PERSON_TAGS:
            continue
        joined = found and index >= 2 and tokens[index - 1].word == "·" and tokens[index - 2].flag in _PERSON_TAGS
        contiguous = found and found[-1].end == token.start and tokens[index - 1].flag in _PERSON_TAGS
        start = found.pop().start if joined or contiguous else token.start
        found.append(Candidate(start, token.end))
    named = [
        Candidate(c.start, c.start + len(name))
        for c in found
        if len(name := _TRAILING_TITLES.sub("", sentence[c.start : c.end])) >= 2
    ]
    return named + [Candidate(m.start("name"), m.end("name")) for m in _TITLED_NAME.finditer(sentence)]


def _prefix_start(tokens: Sequence[Token], index: int, max_chars: int, floor: int) -> int:
    """Start of the name-like tokens directly before tokens[index], at most max_chars long, not before floor."""
    start = tokens[index].start
    for token in reversed(tokens[:index]):
        if (
            token.flag not in _NAMEISH
            or token.word in _LOCATIVE
            or tokens[index].start - token.start > max_chars
            or token.start < floor
        ):
            break
        start = token.start
    return start


def _place_units(tokens: Sequence[Token]) -> list[Candidate]:
    """Single place names: jieba ns words, or words ending in a place suffix (村, 镇, 旗, 山 …) with their name."""
    dictionary = tagger().tokenizer.FREQ
    units: list[Candidate] = []
    for index, token in enumerate(tokens):
        if token.word[-1] in _PLACE_SUFFIX:
            floor = units[-1].end if units else 0
            start = _prefix_start(tokens, index, 4 if len(token.word) == 1 else 3, floor)
            common = token.flag not in ("ns", "nr", "nz") and token.word in dictionary
            if start == token.start and (len(token.word) == 1 or common):
                if units and units[-1].end == token.start:
                    units[-1] = Candidate(units[-1].start, token.end)
                continue
        elif token.flag == "ns" and len(token.word) >= 2:
            start = token.start
        else:
            continue
        units.append(Candidate(start, token.end))
    return units


def _places(question: str, sentence: str, tokens: Sequence[Token]) -> list[Candidate]:
    """Place names, adjacent ones joined (沟门镇南坪村) once those the question names are dropped (沟门镇哪个村 →
    南坪村), and for places jieba does not know, the noun phrases after 在/位于/落户 ….

    Names right after such a word, or before 人 when asked 哪里人, come first; names inside organisation names
    do not count.
    """
    asked = question.translate(_FULL_WIDTH)
    organizations = _organizations(question, tokens)
    units = [
        u
        for u in _place_units(tokens)
        if sentence[u.start : u.end] not in _GENERIC_PLACES
        and sentence[u.start : u.end] not in asked
        and not any(o.start <= u.start and u.end <= o.end for o in organizations)
    ]
    names: list[Candidate] = []
    for unit in units:
        if names and names[-1].end == unit.start:
            names[-1] = Candidate(names[-1].start, unit.end)
        else:
            names.append(unit)
    located = {tokens[i + 1].start for i, token in enumerate(tokens[:-1]) if token.word in _LOCATIVE}
    hometown = _HOMETOWN.search(question.lower()) is not None
    found = [
        Candidate(c.start, c.end, tier=0 if c.start in located or hometown and sentence.startswith("人", c.end) else 1)
        for c in names
    ]
    for index, token in enumerate(tokens):
        if token.word in _LOCATIVE and (phrase := _run(tokens[index + 1 :], lambda t: t.flag in _NAMEISH)):
            start, end = phrase[0].start, phrase[-1].end
            if not any(start <= name.start and name.end <= end for name in names):
                found.append(Candidate(start, end, tier=1))
    return found


def _run(tokens: Sequence[Token], accept: Callable[[Token], bool]) -> list[Token]:
    run = []
    for token in tokens:
        if not accept(token):
            break
        run.append(token)
    return run


def _organizations(question: str, tokens: Sequence[Token]) -> list[Candidate]:
    """Organisation names taken whole: jieba nt words, or a name run ending in 公司, 合作社, 局 …

    Those of the type the question names (哪家银行 → …银行/支行) come first.
    """
    lowered = question.lower()
    named_type = min(
        ((m.start(), suffixes) for pattern, suffixes in _ORG_TYPES if (m := pattern.search(lowered))), default=None
    )
    found: list[Candidate] = []
    for index, token in enumerate(tokens):
        suffix = max((s for s in _ORG_SUFFIXES if token.word.endswith(s)), key=len, default="")
        # jieba tags some names' heads as verbs (支行/v); a verb ending in a one-character suffix is a verb (部署).
        if token.flag != "nt" and (not suffix or token.word in _NOT_ORGS or token.flag == "v" and len(suffix) == 1):
            continue
        start = token.start
        for position in range(index - 1, -1, -1):
            before = tokens[position]
            if before.flag not in _NAMEISH and not (position == index - 1 and before.flag == "v"):
                break
            start = before.start
        if token.flag != "nt" and start == token.start and len(token.word) <= len(suffix) + 1:
            continue
        while found and found[-1].start >= start:
            found.pop()
        other_type = named_type is not None and not token.word.endswith(named_type[1])
        found.append(Candidate(start, token.end, tier=1 if other_type else 0))
    return found


def _list_count(question: str) -> int | None:
    match = _LIST_COUNT.search(question.lower())
    if not match:
        return None
    return _CN_COUNTS[match.group(1)] if match.group(1) else _EN_COUNTS[match.group(2)]


def _item_spans(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    bounds = [start]
    for separator in _LIST_SEPARATOR.finditer(sentence, start, end):
        bounds += [separator.start(), separator.end()]
    bounds.append(end)
    return [(a, b) for a, b in zip(bounds[::2], bounds[1::2]) if sentence[a:b].strip()]


def _token_count(text: str) -> int:
    return sum(1 for token in tagger().tokenizer.cut(text) if not token.isspace())


def _trim_enumeration(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Cut a 、-run back to its items: after a lead-in (包括, 确定了 …), before 等 or a count (三个), and
    outer items longer than the others without their outer verbs and particles (分布于越南、老挝 → 越南、老挝)."""
    first_separator = _LIST_SEPARATOR.search(sentence, start, end)
    if first_separator and (leads := list(_LIST_LEAD.finditer(sentence, start, first_separator.start()))):
        start = leads[-1].end()
    items = _item_spans(sentence, start, end)
    if items and (stop := _LIST_END.search(sentence, items[-1][0], end)):
        end = stop.start()
        items = _item_spans(sentence, start, end)
    if len(items) < 2:
        return start, end
    first = list(tag(sentence[items[0][0] : items[0][1]]))
    last = list(tag(sentence[items[-1][0] : items[-1][1]]))
    inner = [_token_count(sentence[a:b]) for a, b in items[1:-1]]
    reference = max(inner) if inner else min(len(first), len(last))
    if len(first) > reference:
        while len(first) > 1 and first[0].flag not in _NAMEISH:
            first.pop(0)
    if len(last) > reference:
        while len(last) > 1 and last[-1].flag not in _NAMEISH:
            last.pop()
    return items[0][0] + first[0].start, items[-1][0] + last[-1].end


def _lists(question: str, sentence: str) -> list[Candidate]:
    """Enumerations (bracketed, 、-runs, the rest of the sentence after 分别是/包括); those right next to
    the question's words come first, then those with as many items as asked (哪四类)."""
    count = _list_count(question)
    anchors = _anchors(question, sentence)
    spans = [(m.start("items"), m.end("items")) for m in _BRACKETED.finditer(sentence)]
    spans += [_trim_enumeration(sentence, m.start(), m.end()) for m in _ENUMERATION.finditer(sentence)]
    for match in _LIST_INTRO.finditer(sentence):
        stop = _LIST_END.search(sentence, match.start("items"), match.end("items"))
        spans.append((match.start("items"), stop.start() if stop else match.end("items")))
    found = []
    for start, end in spans:
        items = len(_item_spans(sentence, start, end))
        if items < 2:
            continue
        beside = any(
            _LEAD_GAP.fullmatch(sentence, a_end, start) or _TAIL_GAP.fullmatch(sentence, end, a_start)
            for a_start, a_end in anchors
        )
        miscounted = count is not None and items != count
        found.append(Candidate(start, end, tier=(not beside) + 2 * miscounted))
    return found


def candidate_spans(question: str, sentence: str, context: str = "") -> list[Candidate]:
    """Spans of ``sentence`` of the kind ``question`` asks for, each with its tier (0 best); none for open questions.

    ``context`` (the rest of the passage) lends person names it introduces with a title to a sentence where
    jieba misses them.
    """
    kind = classify_question(question)
    if kind == "other" or not sentence:
        return []
    question = matchable_form(question)
    matchable = matchable_form(sentence)
    if kind == "quantity":
        return _quantities(question, matchable)
    if kind == "time":
        return _times(matchable)
    if kind == "list":
        return _lists(question, matchable)
    if kind == "person":
        return _persons(matchable, tag(matchable)) or _borrowed_names(matchable, context.translate(_FULL_WIDTH))
    if kind == "place":
        return _places(question, matchable, tag(matchable))
    return _organizations(question, tag(matchable))


def extract_answer(question: str, sentence: str, context: str = "") -> str | None:
    """The shortest span of ``sentence`` that answers ``question``, or None when it holds none of the asked kind."""
    best = _best(candidate_spans(question, sentence, context), matchable_form(question), matchable_form(sentence))
    return sentence[best.start : best.end] if best else None


def quantity_unit(text: str) -> str | None:
    """The unit of the first number-with-unit in ``text`` (% for rates), or None when it holds none."""
    match = _QUANTITY.search(matchable_form(text))
    return (match.group("unit") or "%").strip() if match else None


def _borrowed_names(sentence: str, context: str) -> list[Candidate]:
    """Where the sentence repeats a name the context gives after a title (镇长高国庆 … 高国庆带领…).

    A regex, not jieba: tagging a whole passage would cost tens of milliseconds.
    """
    names = {match.group("name") for match in _TITLED_NAME.finditer(context)}
    return [Candidate(m.start(), m.end()) for name in names for m in re.finditer(re.escape(name), sentence)]
