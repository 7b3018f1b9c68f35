"""BM25 built in parallel matches BM25 built in one process, with the index's own words."""

import numpy as np

from retriever.indexes.lexical import LexicalIndex
from retriever.query.tokenize import Tokenizer

TEXTS = [
    "阿荣达赉苏木位于察哈尔右翼前旗。",
    "乌拉特中旗现有建档立卡脱贫户3906户。",
    "阿荣达赉苏木的牧民在乌拉特中旗放牧。",
] * 4


def test_parallel_tokenising_builds_the_same_index():
    tokenizer = Tokenizer(["阿荣达赉苏木"])
    serial = LexicalIndex.build(TEXTS, tokenizer, k1=0.6, b=0.4)
    parallel = LexicalIndex.build(TEXTS, tokenizer, k1=0.6, b=0.4, processes=2)
    for query in ("阿荣达赉苏木", "乌拉特中旗脱贫户", "牧民"):
        assert np.array_equal(serial.scores(query), parallel.scores(query))
    assert parallel.term_tokens("阿荣达赉苏木") == ["阿荣达赉苏木"]
