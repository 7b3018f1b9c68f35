"""A rebuild killed with SIGKILL at any point leaves an index that loads and answers; the next build succeeds and
leaves only the live generation and the one before it.

Each case runs a real incremental rebuild in a child process that kills itself when the build reaches one point
(the function there is replaced, in the child only, by one that sends SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from retriever.indexes.build import build_index
from retriever.indexes.generations import generations
from retriever.reading.documents import Document, corpus_hash
from tests.conftest import PROJECT_ROOT, open_searcher

BEFORE = [
    Document("alxa", "阿拉善盟", "阿拉善盟现有建档立卡脱贫户3906户9461人，全部实现脱贫。"),
    Document("baoding", "宝顶村", "宝顶村硬化村组道路7.7公里，新建便民桥2座。"),
]
AFTER = [
    Document("alxa", "阿拉善盟", "阿拉善盟现有建档立卡脱贫户3906户9461人，2020年全部实现脱贫。"),
    BEFORE[1],
    Document("tumed", "土右旗", "2020年5月，土右旗268户590人未脱贫人口已全部脱贫退出。"),
]

DRIVER = """
import os, signal, sys
from pathlib import Path

import retriever.indexes.build as build
import retriever.indexes.generations as generations
import retriever.indexes.store as store
from retriever.config import Settings
from retriever.indexes.lexical import LexicalIndex
from retriever.model.embed import Encoder
from retriever.reading.documents import Document

point, index_dir = sys.argv[1], Path(sys.argv[2])
documents = [Document(*fields.split("|")) for fields in sys.argv[3:]]


def killing(original, when=lambda *args: True):
    def replacement(*args, **kwargs):
        if when(*args):
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return replacement


POINTS = {
    "embedding": (Encoder, "encode_passages", None),
    "bm25": (LexicalIndex, "build", None),
    "dense index": (build, "build_dense", None),
    "writing vectors": (store, "write_dense", None),
    "writing passages": (store, "write_store", None),
    "flushing the generation": (generations, "_flush_tree", None),
    "swapping the link": (os, "replace", lambda source, target: Path(target) == index_dir),
    "removing old generations": (generations, "remove_retired", None),
}
owner, name, when = POINTS[point]
original = getattr(owner, name)
setattr(owner, name, killing(original.__func__ if isinstance(original, classmethod) else original, when or (lambda *a: True)))
settings = Settings(index_dir=index_dir)
build.build_index(documents, index_dir, settings, Encoder.from_settings(settings), show_progress=False)
"""

KILL_POINTS = [
    "embedding",
    "bm25",
    "dense index",
    "writing vectors",
    "writing passages",
    "flushing the generation",
    "swapping the link",
    "removing old generations",
]
SWAPPED_FROM = "removing old generations"
"""The first point at which the new index is already live."""


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_rebuild_killed_at_any_point_leaves_a_working_index(point, tmp_path, settings, encoder):
    index = (tmp_path / "index").absolute()
    build_index(BEFORE, index, settings, encoder, show_progress=False)
    build_index(BEFORE, index, settings, encoder, show_progress=False)  # a previous generation, as in months of use
    arguments = [f"{d.doc_id}|{d.title}|{d.text}" for d in AFTER]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RETRIEVER_CACHE_DIR": str(settings.cache_dir)}
    child = subprocess.run(
        [sys.executable, "-c", DRIVER, point, str(index), *arguments],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    killed = settings.model_copy(update={"index_dir": index})
    searcher = open_searcher(index, killed, encoder)
    expected = AFTER if KILL_POINTS.index(point) >= KILL_POINTS.index(SWAPPED_FROM) else BEFORE
    assert searcher.manifest.corpus_hash == corpus_hash(expected)
    assert searcher.search("宝顶村硬化了多少公里道路？", 1)[0].passage.doc_id == "baoding"

    manifest = build_index(AFTER, index, settings, encoder, show_progress=False)
    assert manifest.corpus_hash == corpus_hash(AFTER)
    assert open_searcher(index, killed, encoder).search("土右旗多少户脱贫？", 1)[0].passage.doc_id == "tumed"
    live = index.resolve()
    beside = sorted(entry.name for entry in index.parent.iterdir() if entry != index)
    assert live.name in beside and len(beside) <= 2, beside
    assert beside == [generation.name for generation in generations(index)]
