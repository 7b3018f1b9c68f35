"""Repair of GB2312 lead-byte-shift mojibake: the real garbled sample, the clean corpus, and synthetic shifts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retriever.reading.mojibake import mojibake_score, repair_mojibake

CORPUS = Path(__file__).resolve().parent.parent / "retriever" / "data" / "corpus"
GARBLED = CORPUS / "000_e549fdcf45b4778b.txt"
CLEAN = sorted(CORPUS.glob("00[1-4]_*.txt"))

# Words of the sample that genuinely contain a suspect character.
GENUINE = ("将军尧镇", "首要", "要求", "重要", "法院", "检察院", "国务院")
FULL_WIDTH = str.maketrans(",:;?!()", "，：；？！（）")


def shift(text: str) -> str:
    """The garbling itself: GB2312 rows A1 and A3 become rows D2 and D4 (gbk, which also encodes U+2014 —)."""
    out = []
    for ch in text:
        try:
            code = ch.encode("gbk")
        except UnicodeEncodeError:
            code = b""
        if len(code) == 2 and code[0] in (0xA1, 0xA3):
            ch = bytes([code[0] + 0x31, code[1]]).decode("gbk")
        out.append(ch)
    return "".join(out)


SUSPECTS = shift("，。、“”《》…—●：；？！（）")


def unwrap(text: str) -> str:
    """The sample is hard-wrapped PDF text: drop all whitespace so phrases broken over lines are whole again."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def garbled() -> str:
    return GARBLED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def repaired(garbled: str) -> str:
    return repair_mojibake(garbled)


def test_sample_is_recognised_as_shifted(garbled: str, repaired: str):
    assert mojibake_score(garbled) > 0.99
    assert mojibake_score(repaired) < 0.01


def test_names_and_words_with_suspect_characters_survive(repaired: str):
    for word in ("将军尧镇仁义昌村", "要求", "法院", "国务院"):
        assert word in unwrap(repaired), word


def test_list_punctuation_is_restored(repaired: str):
    assert "传统工艺食品加工项目、综合养殖项目、民俗旅游项目" in unwrap(repaired)
    assert "———包头市人大常委会" in unwrap(repaired)
    assert "对《中共中央、国务院关于打赢脱贫攻坚战三年行动的指导意见》" in unwrap(repaired)


def test_only_genuine_suspects_remain(garbled: str, repaired: str):
    assert sum(garbled.count(c) for c in SUSPECTS) == 213
    assert repaired.count("，") >= 90 and repaired.count("。") >= 35 and repaired.count("、") >= 35
    text = unwrap(repaired)
    genuine = {i for word in GENUINE for m in re.finditer(word, text) for i in range(m.start(), m.end())}
    remaining = [m.start() for m in re.finditer(f"[{SUSPECTS}]", text)]
    contexts = [text[max(0, i - 4) : i + 5] for i in remaining]
    assert all(i in genuine for i in remaining), contexts
    assert len(remaining) == 7, contexts


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name[:3])
def test_clean_documents_come_back_identical(path: Path):
    text = path.read_text(encoding="utf-8")
    assert mojibake_score(text) == 0.0
    assert repair_mojibake(text) is text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "袁隆平院士说要重视粮食安全。",
        "袁隆平院士说要重视粮食安全",
        "法院要求袁某到庭，袁某未到。",
        "尧舜禹汤 袁世凯 袁枚 袁宏道 遥感 遥远 要要",
        "需要、重要、主要，国务院常务会议要求。",
    ],
)
def test_short_clean_texts_are_unchanged(text: str):
    assert repair_mojibake(text) == text


@pytest.mark.parametrize("full_width", [False, True], ids=["as-is", "full-width"])
@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name[:3])
def test_synthetic_shift_round_trips(path: Path, full_width: bool):
    """Shifted clean text repairs back to the original; full-width turns ,:;?!() into ，：；？！（） first."""
    original = path.read_text(encoding="utf-8")
    if full_width:
        original = original.translate(FULL_WIDTH)
    garbled = shift(original)
    restored = repair_mojibake(garbled)
    assert len(restored) == len(original)
    shifted = [i for i, (a, b) in enumerate(zip(garbled, original)) if a != b]
    wrong = [i for i, (a, b) in enumerate(zip(restored, original)) if a != b]
    assert len(shifted) > 50
    assert 1 - len(wrong) / len(original) >= 0.99
    assert 1 - len(wrong) / len(shifted) >= 0.97, [original[max(0, i - 5) : i + 5] for i in wrong]
