"""Place-name gazetteer: find the Chinese administrative divisions a query names, in any of their forms.

Articles and questions name one place differently: 土默特右旗 in full, 土右旗 for short, "Tumed Right Banner" in
English. Neither BM25 nor the dense model links these forms, so a query is expanded with the canonical Chinese
name and its short forms. The data is ``retriever/data/gazetteer.tsv``; ``retriever/data/gazetteer.md`` says where it
comes from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from retriever.errors import DataFileError
from retriever.package_data import data_file

DEFAULT_GAZETTEER = data_file("gazetteer.tsv")

_COLUMNS = ["name", "level", "parent", "aliases", "english", "pinyin"]

# A two-character name (和县, 兴和, 达州) is easily a piece of other words (人口和县域, 振兴和发展, 明尼苏达州), so it
# must follow the start of the text, a non-CJK character, another place name or one of these characters;
# short forms ending in these suffixes (太旗, 托县, 呼市, 昆区, 锡盟) are specific enough to match anywhere.
_BOUNDARY_BEFORE = set("在到于和与及同跟对从自赴往去来至为是的了将把被由向就而或即给让省市县区旗盟州镇乡村年月日")
_SHORT_FORM_SUFFIXES = set("省市县区旗盟")
# Characters that, right after a name's suffix, show the suffix starts another word (市场, 区域, 旗帜, 县城).
_BAD_NEXT = {"旗": set("帜舰袍杆号鼓下手"), "市": set("场"), "区": set("域别分间块")}
_BAD_NEXT_SHORT = {
    "旗": set("帜舰袍杆号鼓下手县"),
    "县": set("域级城委长里乡区市镇政"),
    "市": set("场民委长级区县政"),
    "区": set("域别分间块级委长"),
}
# Ordinary words that are also division names (城区, 郊区), and words containing a place name that mean
# something else (多伦多 is Toronto, 新干线 the Shinkansen): they take part in the longest match and are dropped.
_NOT_PLACES = frozenset(
    """
    城区 郊区 矿区 东区 西区 南区 北区 中区 老城区 新城区 城中区 城东区 城西区 城北区 城南区 河东区
    河西区 多伦多 吉隆坡 北海道 新干线 江户 天门冬 天门山 大英帝国 大英博物馆 明尼苏达 安达曼 日照时间
    日照时数
    """.split()
)

_LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['’ʼ][A-Za-z\u00C0-\u024F]+)*")

Mention = tuple[int, str, tuple[int, ...]]  # start offset, text as written, indexes of the places it names


@dataclass(frozen=True)
class Place:
    name: str
    level: str
    parent: str
    aliases: tuple[str, ...]
    english: tuple[str, ...]
    pinyin: str


@dataclass(frozen=True)
class Expansion:
    mention: str
    place: str
    names: tuple[str, ...]


class Gazetteer:
    """Chinese names matched longest first; English and pinyin names matched as whole words."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places = tuple(places)
        self._full_names = frozenset(place.name for place in self.places)
        chinese: dict[str, list[int]] = {word: [] for word in _NOT_PLACES}
        latin: dict[str, list[tuple[int, int]]] = {}
        for index, place in enumerate(self.places):
            for name in (place.name, *place.aliases):
                if len(name) >= 2 and name not in _NOT_PLACES and index not in chinese.setdefault(name, []):
                    chinese[name].append(index)
            for form in (*place.english, place.pinyin):
                words = [key for _, _, key in _latin_words(form)]
                if words and (index, len(words)) not in latin.setdefault("".join(words), []):
                    latin["".join(words)].append((index, len(words)))
        self._chinese = {name: tuple(indexes) for name, indexes in chinese.items()}
        lengths: dict[str, set[int]] = {}
        for name in self._chinese:
            lengths.setdefault(name[0], set()).add(len(name))
        self._lengths = {first: sorted(sizes, reverse=True) for first, sizes in lengths.items()}
        self._latin = {key: tuple(entries) for key, entries in latin.items()}
        self._max_words = max((words for entries in latin.values() for _, words in entries), default=0)

    @classmethod
    def load(cls, path: Path = DEFAULT_GAZETTEER) -> Gazetteer:
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or lines[0].split("\t") != _COLUMNS:
            raise DataFileError(f"{path}: the first row must be the header {' '.join(_COLUMNS)}")
        places = []
        for number, line in enumerate(lines[1:], start=2):
            cells = line.split("\t")
            if len(cells) != len(_COLUMNS) or not cells[0]:
                raise DataFileError(f"{path}:{number}: expected {len(_COLUMNS)} tab-separated columns and a name")
            name, level, parent, aliases, english, pinyin = cells
            places.append(Place(name, level, parent, _split(aliases), _split(english), pinyin))
        return cls(places)

    def chinese_names(self) -> list[str]:
        return sorted(name for name, indexes in self._chinese.items() if indexes)

    def expand(self, query: str) -> list[Expansion]:
        """Places the query names, in order of mention; a name shared by several places yields each of them."""
        expansions: list[Expansion] = []
        for _, mention, indexes in sorted(self._chinese_mentions(query) + self._latin_mentions(query)):
            for index in indexes:
                place = self.places[index]
                expansion = Expansion(mention, place.name, (place.name, *place.aliases))
                if expansion not in expansions:
                    expansions.append(expansion)
        return expansions

    def with_aliases(self, pairs: Iterable[tuple[str, str]]) -> Gazetteer:
        """A copy with extra (short form, full name) pairs; an unknown full name becomes a new place."""
        places = list(self.places)
        for short, full in pairs:
            if not short or short == full:
                continue
            known = [i for i, place in enumerate(places) if place.name == full]
            for i in known:
                if short not in places[i].aliases:
                    places[i] = replace(places[i], aliases=(*places[i].aliases, short))
            if not known:
                places.append(Place(full, "", "", (short,), (), ""))
        return Gazetteer(places)

    def _chinese_mentions(self, text: str) -> list[Mention]:
        """Longest-first, non-overlapping matches of Chinese full names and short forms."""
        found: list[Mention] = []
        previous_end = -1
        i = 0
        while i < len(text):
            for length in self._lengths.get(text[i], ()):
                candidate = text[i : i + length]
                indexes = self._chinese.get(candidate)
                if indexes == () or (indexes and self._accept(text, i, candidate, previous_end)):
                    if indexes:
                        found.append((i, candidate, indexes))
                        previous_end = i + length
                    i += length
                    break
            else:
                i += 1
        return found

    def _accept(self, text: str, start: int, name: str, previous_end: int) -> bool:
        end = start + len(name)
        following = text[end] if end < len(text) else ""
        short = len(name) == 2
        if following in (_BAD_NEXT_SHORT if short else _BAD_NEXT).get(name[-1], ()):
            return False
        if not short or (name not in self._full_names and name[-1] in _SHORT_FORM_SUFFIXES):
            return True
        before = text[start - 1] if start else ""
        return not before or start == previous_end or not _is_cjk(before) or before in _BOUNDARY_BEFORE

    def _latin_mentions(self, text: str) -> list[Mention]:
        """Whole-word matches of English and pinyin forms, ignoring case, accents, hyphens and apostrophes.

        The query may join words that a form separates ("Xilingol League" for "Xilin Gol League"), and split
        words of multi-word forms ("Tumote You Qi"), but not of one-word forms: "an da" is not "Anda".
        """
        words = _latin_words(text)
        found: list[Mention] = []
        i = 0
        while i < len(words):
            for span in range(min(self._max_words + 2, len(words) - i), 0, -1):
                key = "".join(word for _, _, word in words[i : i + span])
                indexes = tuple(index for index, n in self._latin.get(key, ()) if span <= n or n >= 2)
                if indexes:
                    start, end = words[i][0], words[i + span - 1][1]
                    found.append((start, text[start:end], indexes))
                    i += span
                    break
            else:
                i += 1
        return found


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def _latin_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of each Latin word; the key is lower-case without accents or apostrophes (xian, urumqi)."""
    words = []
    for match in _LATIN_WORD.finditer(text):
        decomposed = unicodedata.normalize("NFKD", match.group())
        key = "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c)).lower()
        words.append((match.start(), match.end(), key))
    return words


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, read once per process."""
    return Gazetteer.load()


_MINED_SUFFIXES = ("苏木", "嘎查", "旗", "县", "市", "盟", "区", "镇", "乡")  # longest first
_TOWN_SUFFIXES = ("苏木", "嘎查", "镇", "乡")
# Characters after which a town or village name that the gazetteer lacks may start (到红旗镇, 、白音镇).
_NAME_START_AFTER = set('在到于和与及从自赴往去来至为是的了对给、，,。；;：:（(“"《 \n\t')
# Words shaped like a short form: a determiner + suffix (全县, 该旗, 各乡) or a common noun (城市, 红旗, 家乡).
_DETERMINERS = set("全本该各此每一两他外邻原")
_COMMON_SHORT = frozenset(
    """
    郡县 州县 旗县 市县 区县 县乡 城市 都市 股市 超市 上市 开市 夜市 集市 门市 早市 闹市 街市 楼市
    车市 菜市 黑市 罢市 休市 入市 退市 牛市 熊市 花市 城区 市区 社区 小区 园区 景区 郊区 山区 牧区
    林区 矿区 地区 辖区 片区 灾区 边区 特区 藏区 军区 街区 厂区 校区 库区 湖区 专区 分区 学区 选区
    禁区 误区 盲区 新区 老区 东区 西区 南区 北区 中区 国旗 党旗 红旗 队旗 会旗 团旗 彩旗 锦旗 军旗
    战旗 大旗 升旗 举旗 帅旗 令旗 白旗 黄旗 蓝旗 联盟 同盟 加盟 结盟 会盟 欧盟 城镇 乡镇 集镇 村镇
    小镇 重镇 古镇 市镇 坐镇 城乡 家乡 故乡 下乡 老乡 同乡 返乡 回乡 异乡 他乡 思乡 离乡 梦乡 水乡
    """.split()
)


def mine_abbreviations(text: str, gazetteer: Gazetteer | None = None) -> list[tuple[str, str]]:
    """(short form, full name) pairs used in one document, e.g. (太旗, 太仆寺旗) or (科右前旗, 科尔沁右翼前旗).

    The full name is a known division or a town or village (…镇/乡/苏木/嘎查) with a clear start. The short
    form is shorter, keeps the full name's first character and suffix with a subsequence of the rest between,
    occurs outside the full name and outside any other place name, and is neither another known division,
    another place's short form, nor a common word.
    """
    gazetteer = gazetteer or default_gazetteer()
    mentions = gazetteer._chinese_mentions(text)
    spans = [(start, start + len(name)) for start, name, _ in mentions]
    pairs: list[tuple[str, str]] = []
    for full in _full_names_in(text, mentions, gazetteer):
        suffix = next(s for s in _MINED_SUFFIXES if full.endswith(s))
        for short in _short_forms_in(text, full, suffix, spans):
            if _acceptable_short(short, full, gazetteer) and (short, full) not in pairs:
                pairs.append((short, full))
    return pairs


def _full_names_in(text: str, mentions: list[Mention], gazetteer: Gazetteer) -> list[str]:
    names = [name for _, name, _ in mentions if name in gazetteer._full_names and name.endswith(_MINED_SUFFIXES)]
    for suffix in _TOWN_SUFFIXES:
        for match in re.finditer(suffix, text):
            for start in range(max(match.start() - 4, 0), match.start() - 1):
                name = text[start : match.end()]
                clear_start = start == 0 or text[start - 1] in _NAME_START_AFTER
                if clear_start and all(map(_is_cjk, name)) and name not in gazetteer._chinese:
                    names.append(name)
    return list(dict.fromkeys(names))


def _short_forms_in(text: str, full: str, suffix: str, spans: list[tuple[int, int]]) -> list[str]:
    """Substrings that start with the full name's first character, end in its suffix and lie in no other name."""
    found: list[str] = []
    for start in (match.start() for match in re.finditer(re.escape(full[0]), text)):
        for length in range(len(suffix) + 1, len(full)):
            short, end = text[start : start + length], start + length
            if not short.endswith(suffix) or short in found or not _is_subsequence(short, full, suffix):
                continue
            if not any(a <= start and end <= b and (a, b) != (start, end) for a, b in spans):
                found.append(short)
    return found


def _is_subsequence(short: str, full: str, suffix: str) -> bool:
    body, full_body = short[: -len(suffix)], full[: -len(suffix)]
    if not body or body[0] != full_body[0]:
        return False
    rest = iter(full_body[1:])
    return all(char in rest for char in body[1:])


def _acceptable_short(short: str, full: str, gazetteer: Gazetteer) -> bool:
    if not all(map(_is_cjk, short)) or short in _COMMON_SHORT or short[0] in _DETERMINERS:
        return False
    if short in gazetteer._full_names:
        return False
    owners = {gazetteer.places[i].name for i in gazetteer._chinese.get(short, ())}
    return not owners or full in owners
