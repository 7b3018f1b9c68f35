import json
import logging
import shutil

import numpy as np
import pytest

from retriever.cli import main
from retriever.indexes.generations import live_generation

from .conftest import EVAL_DIR


@pytest.fixture(autouse=True)
def _restore_logging():
    """``main`` configures the root logger for a command line, with a handler on this test's captured stderr; later
    tests must not log to that closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_build_script_indexes_a_folder_and_reports_skips(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    (corpus / "nested").mkdir(parents=True)
    (corpus / "nested" / "a.txt").write_text("阿拉善盟现有建档立卡脱贫户3906户。", encoding="utf-8")
    (corpus / "empty.txt").write_text("  \n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "index"
    assert main(["build", "--corpus", str(corpus), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "indexed 1 documents" in printed and "skipped 2 file(s)" in printed
    assert json.loads((out / "manifest.json").read_text())["documents"] == 1


def test_build_script_fails_with_one_line_on_a_missing_corpus(tmp_path, capsys):
    assert main(["build", "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: corpus folder not found") and err.count("\n") == 1


def test_evaluate_script_writes_the_contract_json(tmp_path, sample_index, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(record, ensure_ascii=False)
            for record in [
                {
                    "id": "a",
                    "question": "阿拉善盟现有建档立卡脱贫户多少户？",
                    "answers": ["3906户"],
                    "doc": "001_5f5234b825648131",
                    "lang": "zh",
                    "tags": ["fact"],
                },
                {
                    "id": "b",
                    "question": "宝顶村硬化了多少公里村组道路？",
                    "answers": ["7.7公里"],
                    "doc": "003_761d59348c6a58d7",
                    "lang": "zh",
                    "tags": ["fact"],
                },
            ]
        ),
        encoding="utf-8",
    )
    out, per_question = tmp_path / "figures.json", tmp_path / "questions.jsonl"
    args = ["--questions", str(questions), "--index", str(sample_index), "--json", str(out)]
    assert main(["evaluate", *args, "--answers", "--per-question", str(per_question)]) == 0
    figures = json.loads(out.read_text())
    assert figures["n"] == 2
    assert set(figures) >= {"hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "by_tag", "ms_p50", "ms_p95", "ms_p99"}
    assert set(figures) >= {"answer_em", "answer_f1", "answered", "confident", "confident_wrong"}
    assert figures["hit@5"] == 1.0
    assert 0 < figures["mean_passage_chars"] <= 400
    assert "hit@1" in capsys.readouterr().out
    rows = [json.loads(line) for line in per_question.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"]
    assert all(set(row) == {"id", "rank", "ms", "answer", "confidence"} and row["ms"] > 0 for row in rows)
    assert rows[0]["rank"] == 1 and rows[0]["answer"] == "3906户"

    assert main(["evaluate", *args, "--per-question", str(per_question)]) == 0
    assert set(json.loads(per_question.read_text(encoding="utf-8").splitlines()[0])) == {"id", "rank", "ms"}
    assert "answer_em" not in json.loads(out.read_text())


def test_evaluate_refuses_chunk_override_on_an_existing_index(sample_index, capsys):
    questions = EVAL_DIR / "seed_questions.jsonl"
    args = ["--questions", str(questions), "--index", str(sample_index), "--chunk-max-chars", "200"]
    assert main(["evaluate", *args]) == 2
    assert "--chunk-max-chars and --distractors apply when building" in capsys.readouterr().err


def test_build_survives_an_adversarial_folder_and_says_what_it_skipped(tmp_path, capsys):
    corpus = tmp_path / "adversarial"
    corpus.mkdir()
    (corpus / "good.txt").write_text("阿拉善盟现有建档立卡脱贫户3906户9461人。", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes("额济纳旗巴彦陶来苏木人大代表带头组织成立了合作社。".encode("gbk"))
    (corpus / "mixed.txt").write_bytes("第一行是UTF-8。\n".encode() + "第二行是GBK编码。\n".encode("gbk"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (corpus / "punctuation.txt").write_text("。。。，，！？……", encoding="utf-8")
    (corpus / "huge.txt").write_bytes(("很长的文件。" * 1_200_000).encode())  # about 21 MB
    (corpus / "fake.pdf").write_bytes(b"not a pdf")
    out = tmp_path / "index"
    assert main(["build", "--corpus", str(corpus), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "indexed 4 documents" in printed
    assert "skipped 4 file(s)" in printed
    for name, reason in [
        ("empty.txt", "no text"),
        ("binary.txt", "binary"),
        ("huge.txt", "file larger than"),
        ("fake.pdf", ""),
    ]:
        assert f"{name}: {reason}" in printed


def test_build_script_writes_milvus_when_a_uri_is_set(tmp_path, capsys, monkeypatch):
    pytest.importorskip("milvus_lite", reason="milvus-lite is not installed")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("阿拉善盟现有建档立卡脱贫户3906户。", encoding="utf-8")
    monkeypatch.setenv("RETRIEVER_MILVUS_URI", str(tmp_path / "milvus.db"))
    assert main(["build", "--corpus", str(corpus)]) == 0
    assert "documents: 1 new, 0 changed, 0 removed, 0 unchanged" in capsys.readouterr().out
    (corpus / "b.txt").write_text("宝顶村硬化了7.7公里村组道路。", encoding="utf-8")
    assert main(["build", "--corpus", str(corpus)]) == 0
    printed = capsys.readouterr().out
    assert "indexed 2 documents" in printed and "1 new, 0 changed, 0 removed, 1 unchanged" in printed
    assert "milvus" in printed and "collection retriever" in printed
    assert main(["build", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert "→ " + str(tmp_path / "index") in capsys.readouterr().out, "an explicit directory wins over the URI"


def test_train_reader_reports_held_out_figures_and_writes_models_that_load(tmp_path, capsys):
    from retriever.answers.answer import confidence_of
    from retriever.answers.reader import CONFIDENCE_FEATURES, SpanScorer
    from retriever.answers.span_features import FEATURES

    cmrc = json.loads((EVAL_DIR / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"version": "small", "data": cmrc["data"][:10]}, ensure_ascii=False), encoding="utf-8")
    seed = EVAL_DIR / "seed_questions.jsonl"
    out = tmp_path / "reader"
    assert main(["calibrate", "reader", "--questions", str(seed), str(small), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "small.json (cross-validated" in printed and "seed_questions.jsonl (cross-validated" in printed

    document = json.loads((out / "confidence.json").read_text(encoding="utf-8"))
    for figures in document["cross_validated"].values():
        assert {"answer_em", "answer_f1", "answered", "confident", "confident_wrong", "ece", "bins"} <= set(figures)
        assert sum(b["n"] for b in figures["bins"]) == figures["n"]
    features = dict.fromkeys(CONFIDENCE_FEATURES, 0.0)
    assert 0 < confidence_of(features, document["weights"]) < 1
    scorer = SpanScorer.load(out / "span_scorer.onnx")
    probabilities = scorer.probabilities(np.zeros((3, len(FEATURES))))
    assert probabilities.shape == (3,) and abs(probabilities.sum() - 1) < 1e-9


def test_fit_fusion_reports_cross_validated_figures_and_writes_weights_that_load(tmp_path, capsys):
    from retriever.config import fitted_fusion_alpha

    seed = EVAL_DIR / "seed_questions.jsonl"
    out = tmp_path / "fusion.json"
    assert main(["calibrate", "fusion", "--questions", str(seed), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "seed_questions.jsonl (en)" in printed and "seed_questions.jsonl (zh)" in printed
    fitted = json.loads(out.read_text(encoding="utf-8"))
    assert set(fitted["alpha"]) == {"en", "zh"}
    for figures in fitted["cross_validated"].values():
        assert {"n", "hit@1", "mrr@10", "in_sample_hit@1", "in_sample_mrr@10", "fold_alphas"} <= set(figures)
    assert 0 <= fitted_fusion_alpha("en") <= 1


def test_search_and_ask_print_passages_and_the_answer(sample_index, capsys):
    assert main(["search", "--index", str(sample_index), "土右旗有多少户未脱贫人口全部脱贫？", "-k", "2"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("1. [") and "268户590人" in printed

    assert main(["search", "--index", str(sample_index), "阿拉善盟 脱贫户", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert len(results) == 5
    assert {"passage_id", "doc_id", "title", "date", "source", "score", "text", "sentence"} == set(results[0])

    assert main(["ask", "--index", str(sample_index), "土右旗有多少户未脱贫人口全部脱贫？", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["answer"] == "268户" and 0 < answer["confidence"] <= 1 and "268户" in answer["sentence"]
    assert len(answer["evidence"]) == 3


def test_usage_errors_are_one_line_and_status_2(sample_index, tmp_path, capsys):
    assert main(["search", "--index", str(sample_index), "   "]) == 2
    assert capsys.readouterr().err == "error: the query is empty\n"
    assert main(["ask", "--index", str(tmp_path / "none"), "问题"]) == 2
    assert capsys.readouterr().err.startswith(f"error: no index at {tmp_path / 'none'}")
    assert main(["build", "--index", str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    assert "give one" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_status:
        main(["calibrate"])
    assert exit_status.value.code == 2


def test_default_log_level_keeps_libraries_quiet(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("阿拉善盟现有建档立卡脱贫户3906户。", encoding="utf-8")
    assert main(["build", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    logged = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("DEBUG", "INFO", "WARNING"))]
    assert logged and all(line.split()[1].startswith("retriever.") for line in logged), logged
    assert main(["-q", "build", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert not [line for line in capsys.readouterr().err.splitlines() if line.startswith(("DEBUG", "INFO"))]


def test_add_and_delete_change_an_index_and_refuse_with_one_line(tmp_path, sample_index, capsys):
    index = tmp_path / "index"
    shutil.copytree(live_generation(sample_index), index)
    article = tmp_path / "wuhai-library.md"
    article.write_text("# 乌海市新图书馆开馆\n\n乌海市新图书馆馆藏图书三十二万册，设有古籍修复室。", encoding="utf-8")
    assert main(["add", "--index", str(index), str(article), "--source", "乌海日报", "--date", "2026-11-02"]) == 0
    assert "added wuhai-library: 1 passage\n" in capsys.readouterr().out
    assert main(["search", "--index", str(index), "乌海图书馆藏书多少册", "-k", "1", "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)["results"]
    assert (hit["doc_id"], hit["source"], hit["date"]) == ("wuhai-library", "乌海日报", "2026-11-02")
    assert main(["delete", "--index", str(index), "wuhai-library"]) == 0
    assert "deleted wuhai-library" in capsys.readouterr().out
    assert main(["delete", "--index", str(index), "wuhai-library"]) == 2
    assert capsys.readouterr().err.strip() == "error: no document 'wuhai-library' in the index"
    (tmp_path / "table.xls").write_bytes(b"cells")
    assert main(["add", "--index", str(index), str(tmp_path / "table.xls")]) == 2
    assert "unsupported file type .xls" in capsys.readouterr().err
    assert main(["add", "--index", str(index), str(article), str(article), "--doc-id", "x"]) == 2
