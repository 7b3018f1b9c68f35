"""The query encoder's tokenizer, stored in its ONNX cache.

A Unigram tokenizer with a precompiled normaliser (XLM-R's, the default model's) is stored as a sentencepiece
model: the same pieces, scores and normaliser give the same token ids (checked on the 5,780 public questions), in
60 MiB instead of the 280 MiB the `tokenizers` Unigram takes, and about 5 times faster. Other tokenizers are stored
as `tokenizers` JSON and used as they are.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as spm_model
from tokenizers import Tokenizer

SENTENCEPIECE_FILE = "tokenizer.model"
TOKENIZERS_FILE = "tokenizer.json"
_PIECE = spm_model.ModelProto.SentencePiece


def _sentencepiece_model(config: dict[str, Any]) -> bytes | None:
    """The sentencepiece model of a `tokenizers` Unigram + Precompiled-normaliser + Metaspace tokenizer, else None."""
    model, normalizer, pre_tokenizer = config["model"], config.get("normalizer") or {}, config.get("pre_tokenizer")
    steps = normalizer.get("normalizers", [normalizer])
    precompiled = [step for step in steps if step.get("type") == "Precompiled"]
    others = [step for step in steps if step.get("type") not in ("Precompiled", "Replace")]
    if (
        model.get("type") != "Unigram"
        or len(precompiled) != 1
        or others
        or (pre_tokenizer or {}).get("type") != "Metaspace"
    ):
        return None
    special = {token["content"] for token in config.get("added_tokens", []) if token.get("special")}
    proto = spm_model.ModelProto()
    for number, (piece, score) in enumerate(model["vocab"]):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        if number == model["unk_id"]:
            entry.type = _PIECE.UNKNOWN
        elif piece in special:
            entry.type = _PIECE.CONTROL
    proto.trainer_spec.model_type = spm_model.TrainerSpec.UNIGRAM
    proto.trainer_spec.unk_id = model["unk_id"]
    proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = proto.trainer_spec.pad_id = -1
    spec = proto.normalizer_spec
    spec.name = "precompiled"
    spec.precompiled_charsmap = base64.b64decode(precompiled[0]["precompiled_charsmap"])
    spec.add_dummy_prefix = spec.remove_extra_whitespaces = spec.escape_whitespaces = True
    return proto.SerializeToString()


def save_query_tokenizer(tokenizer: Tokenizer, directory: Path) -> dict[str, list[int]]:
    """Store ``tokenizer`` in ``directory`` (as sentencepiece when it converts) and return the special ids it puts
    before and after a text, which the sentencepiece form leaves to the caller."""
    tokenizer.save(str(directory / TOKENIZERS_FILE))
    converted = _sentencepiece_model(json.loads(tokenizer.to_str()))
    if converted is not None:
        (directory / SENTENCEPIECE_FILE).write_bytes(converted)
    probe = tokenizer.encode("a")
    content = [number for number, special in enumerate(probe.special_tokens_mask) if not special]
    return {"prefix_ids": probe.ids[: content[0]], "suffix_ids": probe.ids[content[-1] + 1 :]}


class QueryTokenizer:
    """Token ids of one query, truncated to ``max_length`` with its special tokens kept."""

    def __init__(self, directory: Path, max_length: int, prefix_ids: list[int], suffix_ids: list[int]) -> None:
        self._max_body = max_length - len(prefix_ids) - len(suffix_ids)
        self._prefix, self._suffix = prefix_ids, suffix_ids
        self._sentencepiece: spm.SentencePieceProcessor | None = None
        self._tokenizers: Tokenizer | None = None
        if (directory / SENTENCEPIECE_FILE).is_file():
            self._sentencepiece = spm.SentencePieceProcessor(model_file=str(directory / SENTENCEPIECE_FILE))
        else:
            self._tokenizers = Tokenizer.from_file(str(directory / TOKENIZERS_FILE))
            self._tokenizers.no_padding()
            self._tokenizers.enable_truncation(max_length)

    def ids(self, text: str) -> list[int]:
        """The ids of ``text`` (outer whitespace removed: it carries no meaning and the two forms treat it apart)."""
        text = text.strip()
        if self._sentencepiece is not None:
            return self._prefix + self._sentencepiece.encode(text)[: self._max_body] + self._suffix
        assert self._tokenizers is not None
        return self._tokenizers.encode(text).ids
