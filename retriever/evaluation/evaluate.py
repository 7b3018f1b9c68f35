"""Question sets and their figures: retrieval (hit@k, MRR@10), answers (EM, F1, confidence) and time per question,
overall and per tag."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retriever.answers.answer_scoring import contains_gold, exact_match, f1, is_confident
from retriever.errors import QuestionSetError
from retriever.reading.documents import Document, Passage
from retriever.reading.loader import iter_corpus
from retriever.reading.text import question_language

DEFAULT_KS = (1, 3, 5, 10, 20)
MRR_DEPTH = 10
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One evaluation question; ``doc`` set means the hit must also come from that document."""

    qid: str
    question: str
    answers: tuple[str, ...]
    doc: str | None = None
    tags: tuple[str, ...] = ()
    article: str = ""
    """The article the question was written about: questions of one article stay in one fold when fitting."""


@dataclass
class QuestionSet:
    questions: list[Question]
    documents: list[Document] = field(default_factory=list)
    """Documents the set brings with it (SQuAD paragraphs); empty for sets over an external corpus."""

    def documents_or(self, corpus: Path, max_bytes: int) -> list[Document]:
        """The documents the questions are asked over: the set's own, or those of the ``corpus`` folder."""
        return self.documents or list(iter_corpus(corpus, max_bytes=max_bytes))


def normalize_answer(text: str) -> str:
    """The comparison form of the evaluation contract: NFKC with all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def load_seed_jsonl(path: Path) -> QuestionSet:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            questions.append(
                Question(
                    qid=str(record["id"]),
                    question=record["question"],
                    answers=tuple(record["answers"]),
                    doc=record.get("doc"),
                    tags=tuple(record.get("tags", ())) + (f"lang:{record['lang']}",) * ("lang" in record),
                    article=record.get("doc") or "",
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionSetError(f"{path}:{number}: not a seed question ({exc})") from exc
    return QuestionSet(questions)


def load_squad(path: Path) -> QuestionSet:
    """A SQuAD-format file: every paragraph becomes a document, every question is asked of them all."""
    return _squad_set(json.loads(path.read_text(encoding="utf-8")))


def _squad_set(data: dict[str, Any]) -> QuestionSet:
    questions, documents = [], []
    for article in data["data"]:
        article_id = str(article.get("id") or article.get("title") or article["paragraphs"][0].get("id", ""))
        for number, paragraph in enumerate(article["paragraphs"]):
            doc_id = str(paragraph.get("id") or f"{article.get('id', article.get('title', 'doc'))}_{number}")
            title = article.get("title", "")
            documents.append(Document(doc_id=doc_id, title=title, text=paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
                if answers:
                    questions.append(
                        Question(
                            qid=str(qa["id"]),
                            question=qa["question"],
                            answers=answers,
                            tags=(f"lang:{question_language(qa['question'])}",),
                            article=article_id,
                        )
                    )
    return QuestionSet(questions, documents)


def load_question_set(path: Path) -> QuestionSet:
    """Seed JSONL or SQuAD JSON, told apart by content."""
    if not path.is_file():
        raise QuestionSetError(f"question file not found: {path}")
    try:
        whole = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        whole = None
    if isinstance(whole, dict) and "data" in whole:
        return _squad_set(whole)
    return load_seed_jsonl(path)


def is_hit(question: Question, passage: Passage) -> bool:
    """A passage answers when it contains a gold answer (and, if given, comes from the gold document)."""
    if question.doc is not None and passage.doc_id != question.doc:
        return False
    text = normalize_answer(passage.text)
    return any(normalize_answer(answer) in text for answer in question.answers)


def first_hit_rank(question: Question, ranking: Sequence[Passage]) -> int | None:
    """1-based rank of the first answering passage, or None."""
    return next((rank for rank, passage in enumerate(ranking, 1) if is_hit(question, passage)), None)


def summarize(ranks: Sequence[int | None], ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """hit@k for each k and MRR@10 over first-hit ranks."""
    n = len(ranks)
    if n == 0:
        return {"n": 0}
    figures: dict[str, float] = {"n": n}
    for k in ks:
        figures[f"hit@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    figures[f"mrr@{MRR_DEPTH}"] = sum(1.0 / r for r in ranks if r is not None and r <= MRR_DEPTH) / n
    return figures


@dataclass(frozen=True)
class Asked:
    """What answering a question gave: the stated answer (None when the system declines) and its confidence."""

    answer: str | None
    confidence: float


@dataclass(frozen=True)
class QuestionResult:
    """One question's row of the per-question file: ``rank`` of the first answering passage (or None) and ``ms``,
    the time of its search (of its answer, when answers are evaluated)."""

    id: str
    rank: int | None
    ms: float
    answer: str | None = None
    confidence: float | None = None

    def row(self, with_answers: bool) -> dict[str, Any]:
        row = asdict(self)
        if not with_answers:
            del row["answer"], row["confidence"]
        return row


def summarize_answers(questions: Sequence[Question], asked: Sequence[Asked]) -> dict[str, float]:
    """answer_em and answer_f1 (CMRC 2018 scoring, a null answer scores 0), the share answered, the share answered
    with confidence ≥ ``CONFIDENT``, and the share of those confident answers that hold no gold answer."""
    n = len(questions)
    if n == 0:
        return {}
    confident = [(q, a) for q, a in zip(questions, asked, strict=True) if is_confident(a.answer, a.confidence)]
    wrong = sum(1 for q, a in confident if not contains_gold(a.answer, q.answers))
    return {
        "answer_em": sum(exact_match(a.answer, q.answers) for q, a in zip(questions, asked, strict=True)) / n,
        "answer_f1": sum(f1(a.answer, q.answers) for q, a in zip(questions, asked, strict=True)) / n,
        "answered": sum(1 for a in asked if a.answer is not None) / n,
        "confident": len(confident) / n,
        "confident_wrong": wrong / len(confident) if confident else 0.0,
    }


def latency_percentiles(milliseconds: Sequence[float]) -> dict[str, float]:
    if not milliseconds:
        return {}
    p50, p95, p99 = np.percentile(np.asarray(milliseconds), [50, 95, 99])
    return {"ms_p50": round(float(p50), 2), "ms_p95": round(float(p95), 2), "ms_p99": round(float(p99), 2)}


def _timed(call: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call(*args)
    return result, 1000 * (time.perf_counter() - started)


def evaluate(
    questions: Sequence[Question],
    rank: Callable[[str, int], Sequence[Passage]],
    ks: Sequence[int] = DEFAULT_KS,
    ask: Callable[[str], Asked] | None = None,
) -> dict[str, Any]:
    """Ask every question through ``rank(question, depth)`` (and ``ask(question)`` when given) and report overall
    and per-tag figures, time percentiles, and one ``QuestionResult`` per question under ``"questions"``."""
    depth = max(max(ks), MRR_DEPTH)
    results, asked = [], []
    for question in questions:
        ranking, ms = _timed(rank, question.question, depth)
        answer = None
        if ask is not None:
            answer, ms = _timed(ask, question.question)
            asked.append(answer)
        results.append(
            QuestionResult(
                id=question.qid,
                rank=first_hit_rank(question, ranking),
                ms=round(ms, 2),
                answer=answer.answer if answer else None,
                confidence=answer.confidence if answer else None,
            )
        )

    def figures(selected: list[int]) -> dict[str, float]:
        summary = summarize([results[i].rank for i in selected], ks)
        if ask is not None:
            summary.update(summarize_answers([questions[i] for i in selected], [asked[i] for i in selected]))
        return summary

    report: dict[str, Any] = figures(list(range(len(questions))))
    report.update(latency_percentiles([r.ms for r in results]))
    tags = sorted({tag for q in questions for tag in q.tags})
    report["by_tag"] = {tag: figures([i for i, q in enumerate(questions) if tag in q.tags]) for tag in tags}
    report["questions"] = results
    return report


ANSWER_FIGURES = ("answer_em", "answer_f1", "answered", "confident", "confident_wrong")


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: one row overall, one row per tag; then the time percentiles."""
    metrics = [key for key in report if key.startswith(("hit@", "mrr@")) or key in ANSWER_FIGURES]
    widths = [max(9, len(m) + 1) for m in metrics]
    header = f"{'':<16}{'n':>6}" + "".join(f"{m:>{w}}" for m, w in zip(metrics, widths))
    rows = [("all", report)] + list(report.get("by_tag", {}).items())
    lines = [header] + [
        f"{name:<16}{figures['n']:>6}" + "".join(f"{figures.get(m, 0.0):>{w}.3f}" for m, w in zip(metrics, widths))
        for name, figures in rows
    ]
    if "ms_p50" in report:
        lines.append(f"ms per question: p50 {report['ms_p50']}, p95 {report['ms_p95']}, p99 {report['ms_p99']}")
    return "\n".join(lines)
