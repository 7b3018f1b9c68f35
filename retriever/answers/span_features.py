"""Candidate answer spans in evidence sentences, and the features a learned scorer ranks them by.

Candidates are runs of up to ``MAX_SPAN_TOKENS`` jieba words that stay inside a clause, plus the typed spans the
rules of ``answer_span`` find for the asked kind (numbers with units, dates, names, places, organisations, lists)
and quoted or bracketed names. Spans of the wrong type are never candidates: a quantity question gets only spans
with a number in them, a unit the question asks for (多少户) rules out other units (590人), a date question only
spans with a date word or number.

The features describe the question (kind, unit asked), the sentence (its passage's rank and scores, how much of
the question it repeats) and the span: its shape and tags, whether the rules call it an answer of the asked kind,
and how the sentence around it lines up with the question around its question word (``X于[1928年]创立`` for
``X哪一年创立``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jieba.analyse
import numpy as np

from retriever.query.postag import Token, tag
from retriever.query.tokenize import Tokenizer, default_tokenizer
from retriever.ranking.answer_span import (
    QuestionKind,
    candidate_spans,
    classify_question,
    family_of,
    matchable_form,
    quantity_unit,
    required_units,
    unit_hint,
)
from retriever.reading.segment import sentence_spans
from retriever.reading.text import normalize_for_matching

MAX_SPAN_TOKENS = 8
MAX_SPAN_CHARS = 40
MAX_CLAUSES = 3
EVIDENCE_SENTENCES = 4
"""Sentences of the evidence passages, best covering the question first, that candidates are taken from."""
FOLLOWED = 2
"""How many of the best sentences bring the sentence after them along."""
CONTEXT_CHARS = 8
SLOT_WINDOW = 10
PLACE_SUFFIXES = frozenset("省市县区镇乡村旗州国岛山河湖江海城港站街路")
ORG_ENDINGS = ("公司", "集团", "大学", "学院", "学校", "医院", "银行", "协会", "委员会", "组织", "政府", "部", "局", "党", "队", "社", "会", "院")

KINDS: tuple[QuestionKind, ...] = ("quantity", "person", "place", "time", "organization", "list", "other")
_POS_CODES = {
    flag: code
    for code, flags in enumerate(
        (("n", "ng", "nw"), ("nr", "nrfg", "nrt"), ("ns",), ("nt",), ("nz",), ("v", "vd", "vg"), ("vn",), ("a", "ad", "an"),
         ("m", "mq"), ("q",), ("t", "tg"), ("f",), ("p",), ("c",), ("u", "uj", "ul", "uz", "ug", "uv", "ud"), ("x",),
         ("r", "rr", "rz"), ("eng",), ("d",), ("s",), ("j",), ("l", "i")),
        1,
    )
    for flag in flags
}
NO_TOKEN = 30
"""The tag code of the word before a span that starts mid-word (or after one that ends mid-word)."""
_EDGE_FLAGS = frozenset({"x", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "e", "o"})
"""Tags a word span never starts or ends with: punctuation, particles, interjections."""
_INSIDE_OK = re.compile(r"^[、·.\-－—%％‰/]$")
_CLAUSE_BREAK = re.compile(r"[，,。；;：:！!？?]")
_CLAUSE_STOP = re.compile(r"[，,。；;：:！!？?（）()【】\[\]“”\"‘’'《》「」『』\s]")
_QUOTED = re.compile(r"《([^《》]{1,30})》|“([^“”]{1,30})”|「([^「」]{1,30})」|『([^『』]{1,30})』")
_NUMERAL = re.compile(r"[0-9０-９零〇一二两三四五六七八九十百千万亿几半]")
_TIME_WORD = re.compile(r"[0-9０-９零〇一二三四五六七八九十年月日号世纪代朝期季时春夏秋冬初末旬前后]")
_QUESTION_WORD = re.compile(
    r"(?:什么|甚么|哪|多少|几)(?:一|两|二|三|四|五)?[个里儿些位种类年月天日家所座条本部只名项国处间样次]?"
    r"|谁|何[时处地人]?|怎样|怎么|如何|为什么|为何|啥|是否|多[大长高远重久宽深厚]"
)
_PUNCT_CHARS = frozenset("，,。；;：:！!？?（）()【】[]“”\"‘’'《》「」『』、")

FEATURES: tuple[str, ...] = (
    "kind", "has_unit_hint", "english_question", "question_chars",
    "passage_rank", "passage_score", "passage_dense", "score_gap", "sentence_coverage", "sentence_rank",
    "sentence_chars", "span_chars", "span_tokens", "rule_span", "rule_tier", "quoted", "has_numeral", "all_numeral",
    "unit_match", "first_pos", "last_pos", "before_pos", "after_pos", "has_person", "has_place", "has_org_tag",
    "punct_before", "punct_after", "in_question_share", "span_in_question", "terms_left", "terms_right",
    "terms_in_clause", "term_distance", "left_slot", "right_slot", "relative_position", "list_separators",
    "span_share_of_clause", "head_last_char", "head_share", "left_bigrams", "right_bigrams",
    "left_far", "right_far", "place_suffix", "org_suffix",
)


@dataclass(frozen=True)
class QuestionView:
    """What the scorer needs of a question: its kind, asked unit, content terms and the text around its
    question word (left and right, in matching form)."""

    text: str
    matching: str
    """The question in matching form (NFKC, Simplified, lower case)."""
    kind: QuestionKind
    unit: str | None
    terms: tuple[str, ...]
    left: str
    rights: tuple[str, ...]
    head: str
    """The noun the question word asks about (哪一门语言 → 语言), in matching form, or empty."""
    english: bool


@dataclass(frozen=True)
class EvidenceSentence:
    text: str
    passage_rank: int
    passage_score: float
    passage_dense: float
    score_gap: float
    coverage: float
    rank: int


@dataclass(frozen=True)
class Span:
    """A candidate: ``sentence`` indexes the evidence sentences; ``start``/``end`` are offsets in that sentence."""

    sentence: int
    start: int
    end: int


def view_question(
    question: str, added_terms: Sequence[str] = (), tokenizer: Tokenizer | None = None
) -> QuestionView:
    """The question's kind, unit, terms (its own words of two or more characters, as ``tokenizer`` cuts them, plus
    the expansion's Chinese terms) and the contexts of its question word."""
    matching = normalize_for_matching(question)
    words = (tokenizer or default_tokenizer()).tokenize(question)
    own = [t for t in words if len(t) >= 2 and not _QUESTION_WORD.search(t)]
    terms = tuple(dict.fromkeys(own + [normalize_for_matching(t) for t in added_terms]))
    left, rights = "", ()
    if found := _QUESTION_WORD.search(matching):
        left = matching[: found.start()]
        after = matching[found.end() :]
        # The question word's phrase may go on with a measure word or noun (哪一年, 多少户, 什么时候): try both.
        rights = tuple(dict.fromkeys(after[skip:] for skip in range(3) if after[skip:]))
    return QuestionView(
        text=question,
        matching=matching,
        kind=classify_question(question),
        unit=unit_hint(question),
        terms=terms,
        left=_strip_punct(left),
        rights=tuple(_strip_punct(r, leading=True) for r in rights),
        head=_asked_noun(matching, found.end()) if found else "",
        english=not re.search(r"[\u4e00-\u9fff]", question),
    )


def _asked_noun(matching: str, after: int) -> str:
    """The nouns right after the question word, past numerals and measure words (哪一门语言 → 语言)."""
    head = []
    for token in tag(matching[after:]):
        if token.flag in ("m", "q", "mq") and not head:
            continue
        if not token.flag.startswith("n") and token.flag not in ("vn", "j", "l"):
            break
        head.append(token.word)
    return "".join(head)


def _strip_punct(text: str, leading: bool = False) -> str:
    return text.lstrip("".join(_PUNCT_CHARS) + " ") if leading else text.rstrip("".join(_PUNCT_CHARS) + " ")


def evidence_sentences(
    view: QuestionView, passages: Sequence[tuple[str, float, float]], limit: int = EVIDENCE_SENTENCES
) -> list[EvidenceSentence]:
    """The ``limit`` sentences of the evidence passages (display text, fused score, dense score) that repeat the
    most of the question's terms (earlier passages first on ties), each of the best ``FOLLOWED`` followed by the
    sentence after it, which often carries the figure the first one introduces."""
    top_score = passages[0][1] if passages else 0.0
    per_passage = [
        [(text[a:b], term_coverage(view, text[a:b])) for a, b in sentence_spans(text) or [(0, len(text))]]
        for text, _, _ in passages
    ]
    ranked = sorted(
        (-coverage, rank, number)
        for rank, sentences in enumerate(per_passage)
        for number, (_, coverage) in enumerate(sentences)
    )
    order: dict[tuple[int, int], int] = {}
    for position, (_, rank, number) in enumerate(ranked[:limit]):
        order.setdefault((rank, number), position)
        if position < FOLLOWED and number + 1 < len(per_passage[rank]):
            order.setdefault((rank, number + 1), limit + position)
    return [
        EvidenceSentence(
            text=per_passage[rank][number][0],
            passage_rank=rank,
            passage_score=passages[rank][1],
            passage_dense=passages[rank][2],
            score_gap=top_score - passages[rank][1],
            coverage=per_passage[rank][number][1],
            rank=position,
        )
        for (rank, number), position in sorted(order.items(), key=lambda item: item[1])
    ]


def idf(term: str) -> float:
    """jieba's inverse document frequency of a word (its median for words it does not know)."""
    table = jieba.analyse.default_tfidf
    return table.idf_freq.get(term, table.median_idf)


def term_coverage(view: QuestionView, sentence: str) -> float:
    """The IDF-weighted share of the question's terms that the sentence contains: rare words count most."""
    total = sum(idf(term) for term in view.terms)
    if not total:
        return 0.0
    matching = normalize_for_matching(sentence)
    return sum(idf(term) for term in view.terms if term in matching) / total


def _clause_bounds(sentence: str) -> list[int]:
    return [0] + [m.end() for m in _CLAUSE_STOP.finditer(sentence)] + [len(sentence) + 1]


def _admissible(view: QuestionView, text: str) -> bool:
    """The type constraints: the span (in Simplified form) is of the kind of thing the question asks for."""
    if view.kind == "other":
        return True
    if view.kind == "quantity":
        if not _NUMERAL.search(text):
            return False
        required = required_units(view.unit)
        return required is None or quantity_unit(text) in required
    if view.kind == "time":
        return _TIME_WORD.search(text) is not None
    if view.kind == "person":
        return not re.search(r"\d", text)
    return True


def _token_spans(text: str, tokens: Sequence[Token]) -> set[tuple[int, int]]:
    """Runs of up to ``MAX_SPAN_TOKENS`` words inside one clause that neither start nor end with a particle,
    preposition, conjunction or punctuation."""
    stops = [_is_stop(text, token) for token in tokens]
    ends = [token.end for token in tokens]
    edges = [token.flag in _EDGE_FLAGS for token in tokens]
    spans = set()
    for i, first in enumerate(tokens):
        if edges[i] or stops[i]:
            continue
        for j in range(i, min(i + MAX_SPAN_TOKENS, len(tokens))):
            if stops[j] or ends[j] - first.start > MAX_SPAN_CHARS:
                break
            if j > i and tokens[j].flag == "x" and not _INSIDE_OK.match(tokens[j].word):
                break
            if not edges[j]:
                spans.add((first.start, ends[j]))
    return spans


def _is_stop(text: str, token: Token) -> bool:
    """A clause boundary; a comma between digits (6,476) is not one."""
    if token.word in (",", "，") and 0 < token.start and token.end < len(text):
        return not (text[token.start - 1].isdigit() and text[token.end].isdigit())
    return _CLAUSE_STOP.search(token.word) is not None


def _clause_spans(text: str) -> set[tuple[int, int]]:
    """Whole clauses and runs of up to ``MAX_CLAUSES`` of them, without their closing punctuation: answers to why,
    how and what-did questions are often that long."""
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)]
    if bounds[-1] != len(text):
        bounds.append(len(text))
    spans = set()
    for i in range(len(bounds) - 1):
        for j in range(i + 1, min(i + 1 + MAX_CLAUSES, len(bounds))):
            start, end = bounds[i], bounds[j]
            while end > start and text[end - 1] in _PUNCT_CHARS:
                end -= 1
            if end - start >= 2:
                spans.add((start, end))
    return spans


def candidates(view: QuestionView, sentences: Sequence[EvidenceSentence]) -> tuple[list[Span], np.ndarray]:
    """Every admissible candidate span of the sentences, and one feature row per candidate (``FEATURES`` order)."""
    spans: list[Span] = []
    blocks: list[np.ndarray] = []
    for index, sentence in enumerate(sentences):
        text = sentence.text
        tokens = tag(text)
        simplified = matchable_form(text)
        ruled = {(c.start, c.end): c.tier for c in candidate_spans(view.text, text)}
        quoted = {(m.start(g), m.end(g)) for m in _QUOTED.finditer(text) for g in range(1, 5) if m.group(g)}
        found = [
            span
            for span in sorted(_token_spans(text, tokens) | _clause_spans(text) | set(ruled) | quoted)
            if _admissible(view, simplified[span[0] : span[1]])
        ]
        if found:
            spans += [Span(index, start, end) for start, end in found]
            blocks.append(_sentence_features(view, sentence, tokens, found, ruled, quoted))
    rows = np.vstack(blocks) if blocks else np.zeros((0, len(FEATURES)), dtype=np.float32)
    return spans, rows


def _sentence_features(
    view: QuestionView,
    sentence: EvidenceSentence,
    tokens: Sequence[Token],
    found: Sequence[tuple[int, int]],
    ruled: dict[tuple[int, int], int],
    quoted: set[tuple[int, int]],
) -> np.ndarray:
    """The feature rows of one sentence's candidates, computed column by column."""
    text = sentence.text
    n, length = len(found), len(text)
    normal = normalize_for_matching(text)
    matching = normal if len(normal) == length else text.lower()
    starts = np.array([a for a, _ in found])
    ends = np.array([b for _, b in found])

    token_starts = np.array([t.start for t in tokens])
    token_ends = np.array([t.end for t in tokens])
    codes = np.array([_POS_CODES.get(t.flag, 0) for t in tokens])
    first = np.clip(np.searchsorted(token_ends, starts, side="right"), 0, len(tokens) - 1)
    last = np.clip(np.searchsorted(token_starts, ends, side="left") - 1, 0, len(tokens) - 1)
    before = np.searchsorted(token_ends, starts, side="left")
    before_ok = (before < len(tokens)) & (token_ends[np.minimum(before, len(tokens) - 1)] == starts)
    after = np.searchsorted(token_starts, ends, side="left")
    after_ok = (after < len(tokens)) & (token_starts[np.minimum(after, len(tokens) - 1)] == ends)

    def token_count(flags: frozenset[str]) -> np.ndarray:
        cumulative = np.concatenate([[0], np.cumsum([t.flag in flags for t in tokens])])
        return cumulative[last + 1] - cumulative[first]

    def char_count(predicate: Callable[[str], bool], source: str) -> np.ndarray:
        cumulative = np.concatenate([[0], np.cumsum([predicate(ch) for ch in source])])
        return cumulative[ends] - cumulative[starts]

    total_idf = sum(idf(term) for term in view.terms) or 1.0
    anchors = [
        (m.start(), m.end(), idf(term) / total_idf)
        for term in view.terms
        for m in re.finditer(re.escape(term), matching)
    ]
    anchor_starts = np.array([a for a, _, _ in anchors]).reshape(1, -1)
    anchor_ends = np.array([b for _, b, _ in anchors]).reshape(1, -1)
    anchor_sizes = np.array([w for _, _, w in anchors]).reshape(1, -1)
    s, e = starts.reshape(-1, 1), ends.reshape(-1, 1)
    clauses = np.array(_clause_bounds(text))
    clause_of_start = np.searchsorted(clauses, starts, side="right") - 1
    clause_of_anchor = np.searchsorted(clauses, anchor_starts, side="right") - 1
    outside = (anchor_ends <= s) | (anchor_starts >= e)
    distance = np.maximum(np.maximum(anchor_starts - e, s - anchor_ends), 0)
    clause_start = clauses[clause_of_start]
    clause_end = np.minimum(clauses[np.minimum(clause_of_start + 1, len(clauses) - 1)], length)

    question_chars = set(view.matching)
    numerals = char_count(lambda ch: _NUMERAL.match(ch) is not None, text)
    lengths = ends - starts
    left_slot = _at(starts, lambda p: _common_suffix(matching[max(0, p - 12) : p], view.left))
    right_slot = _at(ends, lambda p: max((_common_prefix(matching[p : p + 12], r) for r in view.rights), default=0))
    right_context = view.rights[0] if view.rights else ""
    left_bigrams = _window_overlap(matching, view.left[-SLOT_WINDOW:], SLOT_WINDOW, starts, before=True)
    right_bigrams = _window_overlap(matching, right_context[:SLOT_WINDOW], SLOT_WINDOW, ends, before=False)
    left_far = _window_overlap(matching, view.left, 3 * SLOT_WINDOW, starts, before=True)
    right_far = _window_overlap(matching, right_context, 3 * SLOT_WINDOW, ends, before=False)
    unit_match = np.full(n, -1.0)
    if view.kind == "quantity" and view.unit:
        family = family_of(view.unit)
        unit_match = np.array([-1.0 if (u := quantity_unit(text[a:b])) is None else float(u in family) for a, b in found])
    punct = np.array([ch in _PUNCT_CHARS for ch in text] + [True])

    columns = {
        "kind": np.full(n, KINDS.index(view.kind)),
        "has_unit_hint": np.full(n, float(view.unit is not None)),
        "english_question": np.full(n, float(view.english)),
        "question_chars": np.full(n, len(view.text)),
        "passage_rank": np.full(n, sentence.passage_rank),
        "passage_score": np.full(n, sentence.passage_score),
        "passage_dense": np.full(n, sentence.passage_dense),
        "score_gap": np.full(n, sentence.score_gap),
        "sentence_coverage": np.full(n, sentence.coverage),
        "sentence_rank": np.full(n, sentence.rank),
        "sentence_chars": np.full(n, length),
        "span_chars": lengths,
        "span_tokens": last - first + 1,
        "rule_span": np.array([float(span in ruled) for span in found]),
        "rule_tier": np.array([float(ruled.get(span, -1)) for span in found]),
        "quoted": np.array([float(span in quoted) for span in found]),
        "has_numeral": (numerals > 0).astype(float),
        "all_numeral": numerals / lengths,
        "unit_match": unit_match,
        "first_pos": codes[first],
        "last_pos": codes[last],
        "before_pos": np.where(before_ok, codes[np.minimum(before, len(tokens) - 1)], NO_TOKEN),
        "after_pos": np.where(after_ok, codes[np.minimum(after, len(tokens) - 1)], NO_TOKEN),
        "has_person": (token_count(frozenset({"nr", "nrfg", "nrt"})) > 0).astype(float),
        "has_place": (token_count(frozenset({"ns"})) > 0).astype(float),
        "has_org_tag": (token_count(frozenset({"nt"})) > 0).astype(float),
        "punct_before": np.where(starts == 0, True, punct[np.maximum(starts - 1, 0)]).astype(float),
        "punct_after": punct[ends].astype(float),
        "in_question_share": char_count(lambda ch: ch in question_chars, matching) / lengths,
        "span_in_question": np.array([float(matching[a:b] in view.matching) for a, b in found]),
        "terms_left": ((anchor_starts >= s - CONTEXT_CHARS) & (anchor_ends <= s)) @ anchor_sizes.T,
        "terms_right": ((anchor_starts >= e) & (anchor_ends <= e + CONTEXT_CHARS)) @ anchor_sizes.T,
        "terms_in_clause": ((clause_of_anchor == clause_of_start.reshape(-1, 1)) & outside) @ anchor_sizes.T,
        "term_distance": np.minimum(distance.min(axis=1), 100) if anchors else np.full(n, 100),
        "left_slot": left_slot,
        "right_slot": right_slot,
        "relative_position": starts / max(length, 1),
        "list_separators": np.array([text[a:b].count("、") + text[a:b].count("和") for a, b in found]),
        "span_share_of_clause": lengths / np.maximum(clause_end - clause_start, 1),
        "head_last_char": np.array([float(bool(view.head) and matching[b - 1] == view.head[-1]) for _, b in found]),
        "left_bigrams": left_bigrams,
        "right_bigrams": right_bigrams,
        "left_far": left_far,
        "right_far": right_far,
        "place_suffix": np.array([float(matching[b - 1] in PLACE_SUFFIXES) for _, b in found]),
        "org_suffix": np.array([float(matching[a:b].endswith(ORG_ENDINGS)) for a, b in found]),
        "head_share": np.array(
            [sum(ch in matching[a:b] for ch in view.head) / len(view.head) if view.head else -1.0 for a, b in found]
        ),
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.float32).reshape(n) for name in FEATURES])


def _at(positions: np.ndarray, value: Callable[[int], float]) -> np.ndarray:
    """``value`` at each of ``positions``, computed once per distinct position."""
    distinct, inverse = np.unique(positions, return_inverse=True)
    return np.array([value(int(p)) for p in distinct], dtype=np.float64)[inverse]


def _window_overlap(matching: str, context: str, width: int, positions: np.ndarray, before: bool) -> np.ndarray:
    """For each of ``positions`` in the sentence, the share of the question context's distinct character bigrams
    found in the ``width`` characters before it (``before``) or after it: the question's words around its question
    word, found around the span even with other words between (X于1928年创立 for X哪一年创立)."""
    wanted = {context[i : i + 2] for i in range(len(context) - 1)}
    if not wanted:
        return np.zeros(len(positions))
    # A bigram starting at i lies in the window when i is in [first, last]: the window's characters are
    # [p - width, p) before p, or [p, p + width) after it, cut at the sentence's ends.
    if before:
        first, last = np.maximum(positions - width, 0), positions - 2
    else:
        first, last = positions, np.minimum(positions + width, len(matching)) - 2
    index = {bigram: k for k, bigram in enumerate(wanted)}
    ids = np.array([index.get(matching[i : i + 2], -1) for i in range(len(matching) - 1)], dtype=np.int64)
    lo, hi = np.clip(first, 0, len(ids)), np.clip(last + 1, 0, len(ids))
    found = np.zeros(len(positions))
    for k in np.unique(ids[ids >= 0]):
        seen = np.concatenate([[0], np.cumsum(ids == k)])
        found += (last >= first) & (seen[hi] - seen[lo] > 0)
    return found / len(wanted)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
