"""Question sets and retrieval metrics: hit@k and MRR@10, overall and per tag."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retriever.documents import Document, Passage

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


@dataclass
class QuestionSet:
    questions: list[Question]
    documents: list[Document] = field(default_factory=list)
    """Documents the set brings with it (SQuAD paragraphs); empty for sets over an external corpus."""


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
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a seed question ({exc})") from exc
    return QuestionSet(questions)


def load_squad(path: Path) -> QuestionSet:
    """A SQuAD-format file: every paragraph becomes a document, every question is asked of them all."""
    return _squad_set(json.loads(path.read_text(encoding="utf-8")))


def _squad_set(data: dict[str, Any]) -> QuestionSet:
    questions, documents = [], []
    for article in data["data"]:
        for number, paragraph in enumerate(article["paragraphs"]):
            doc_id = str(paragraph.get("id") or f"{article.get('id', article.get('title', 'doc'))}_{number}")
            title = article.get("title", "")
            documents.append(Document(doc_id=doc_id, title=title, text=paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
                if answers:
                    questions.append(Question(qid=str(qa["id"]), question=qa["question"], answers=answers))
    return QuestionSet(questions, documents)


def load_question_set(path: Path) -> QuestionSet:
    """Seed JSONL or SQuAD JSON, told apart by content."""
    if not path.is_file():
        raise FileNotFoundError(f"question file not found: {path}")
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


def evaluate(
    questions: Sequence[Question],
    rank: Callable[[str, int], Sequence[Passage]],
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, Any]:
    """Ask every question through ``rank(question, depth)`` and report overall, per-tag and per-question results."""
    depth = max(max(ks), MRR_DEPTH)
    ranks = {q.qid: first_hit_rank(q, rank(q.question, depth)) for q in questions}
    report: dict[str, Any] = summarize(list(ranks.values()), ks)
    tags = sorted({tag for q in questions for tag in q.tags})
    report["by_tag"] = {tag: summarize([ranks[q.qid] for q in questions if tag in q.tags], ks) for tag in tags}
    report["ranks"] = ranks
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: one row overall, one row per tag."""
    metrics = [key for key in report if key.startswith(("hit@", "mrr@"))]
    header = f"{'':<16}{'n':>6}" + "".join(f"{m:>9}" for m in metrics)
    rows = [("all", report)] + list(report.get("by_tag", {}).items())
    lines = [header] + [
        f"{name:<16}{figures['n']:>6}" + "".join(f"{figures.get(m, 0.0):>9.3f}" for m in metrics)
        for name, figures in rows
    ]
    return "\n".join(lines)
