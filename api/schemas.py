"""Request and response models of the HTTP API."""

from __future__ import annotations

import datetime
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retriever import Filters, Language, Manifest, QueryPlan, SearchHit

Mode = Literal["hybrid", "dense", "lexical"]
VISIBLE = r"[^\s\x1c-\x1f\x85]"
"""A character Python's ``str.strip`` keeps (JSON Schema's ``\\S`` also lets through U+001C–U+001F and U+0085)."""
INDEX_FIELD = Field(..., description="Which index answered: its corpus hash and build time (changes with a reload).")


def index_version(manifest: Manifest) -> str:
    return f"{manifest.corpus_hash[:16]}@{manifest.built_at}"


class SearchFilters(BaseModel):
    """Which documents results may come from; an unset field lets every document through."""

    model_config = ConfigDict(extra="forbid")

    date_from: date | None = Field(None, description="Published on or after this day (YYYY-MM-DD).")
    date_to: date | None = Field(None, description="Published on or before this day (YYYY-MM-DD).")
    source: str | None = Field(None, max_length=200, description="The publisher (来源) exactly as the article names it.")
    doc_id: list[str] | None = Field(None, max_length=100, description="Only these documents.")

    def to_filters(self) -> Filters:
        return Filters(self.date_from, self.date_to, self.source or None, tuple(self.doc_id or ()))


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., description="The question or keywords, in Chinese or English.")
    top_k: int | None = Field(None, description="How many passages to return (default 5).")
    mode: Mode = "hybrid"
    filters: SearchFilters | None = Field(
        None, description="Rank only passages of matching documents (documents without a date fail a date bound)."
    )


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="A natural-language question, in Chinese or English.")
    filters: SearchFilters | None = Field(None, description="Answer only from matching documents.")


class SearchResult(BaseModel):
    passage_id: str
    doc_id: str
    title: str
    section: str = Field(..., description="The heading the passage sits under, if any.")
    date: str | None = Field(..., description="Publication date of the article (ISO 8601), if the text gives one.")
    source: str | None = Field(..., description="Publisher named by the article (来源), if any.")
    text: str = Field(..., description="The passage with hard line wraps undone.")
    start: int = Field(..., description="Offset of the passage in the document text.")
    end: int
    score: float = Field(..., description="The score the ranking used (fused in hybrid mode).")
    dense_score: float = Field(..., description="Cosine similarity of query and passage.")
    lexical_score: float = Field(..., description="BM25 score of the passage for the query.")
    highlight: str = Field(..., description="The best-matching sentence, HTML-escaped, query terms in <mark>.")

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchResult:
        passage = hit.passage
        return cls(
            passage_id=passage.passage_id,
            doc_id=passage.doc_id,
            title=passage.title,
            section=passage.section,
            date=hit.document.date,
            source=hit.document.source,
            text=hit.text,
            start=passage.start,
            end=passage.end,
            score=round(hit.score, 6),
            dense_score=round(hit.dense_score, 6),
            lexical_score=round(hit.lexical_score, 6),
            highlight=hit.highlight,
        )


class PlaceExpansion(BaseModel):
    mention: str = Field(..., description="The place as written in the query.")
    place: str = Field(..., description="Its full Chinese name.")
    names: list[str] = Field(..., description="The Chinese names searched for it.")


class TermTranslation(BaseModel):
    english: str
    chinese: list[str]


class QueryExpansion(BaseModel):
    """Why a passage can match words the query did not contain."""

    language: Language = Field(
        description="The question's language as read from its script: it sets the fusion weight, and of an English "
        "question BM25 matches only what Chinese text writes as is (numbers, codes, acronyms) and the translations."
    )
    places: list[PlaceExpansion]
    translations: list[TermTranslation]

    @classmethod
    def from_plan(cls, plan: QueryPlan) -> QueryExpansion:
        return cls(
            language=plan.language,
            places=[PlaceExpansion(mention=p.mention, place=p.place, names=list(p.names)) for p in plan.places],
            translations=[TermTranslation(english=t.english, chinese=list(t.chinese)) for t in plan.terms],
        )


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    index: str = INDEX_FIELD
    expansion: QueryExpansion
    results: list[SearchResult]
    took_ms: float


class AskResponse(BaseModel):
    question: str
    index: str = INDEX_FIELD
    kind: str = Field(..., description="quantity, person, place, time, organization, list or other.")
    answer: str | None = Field(
        ...,
        description="The answer span the reader chose; null when its confidence is below the service's threshold "
        "(then only the evidence is given).",
    )
    confidence: float = Field(
        ..., ge=0.0, le=1.0, description="Calibrated probability that the answer is right (holds the true answer)."
    )
    confident: bool = Field(..., description="An answer is given and its confidence is at least 0.7.")
    sentence: str | None = Field(..., description="The evidence sentence the answer comes from (or the best one).")
    expansion: QueryExpansion
    highlight: str | None = Field(
        ..., description="That sentence, HTML-escaped, the answer (or, without one, the question's terms) in <mark>."
    )
    evidence: list[SearchResult]
    took_ms: float


class PassageOut(BaseModel):
    passage_id: str
    position: int
    start: int
    end: int
    text: str


class DocumentResponse(BaseModel):
    doc_id: str
    title: str
    date: str | None
    source: str | None
    text: str
    passages: list[PassageOut]


class DocumentFields(BaseModel):
    """What may come with an uploaded document; given fields win over what the text's head says."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=f"^{VISIBLE}(.*{VISIBLE})?$",
        description="The document's id; the same id again replaces the document. Default: a file's name without "
        "its suffix, or for JSON a hash of the text.",
    )
    title: str | None = Field(None, max_length=500)
    date: datetime.date | None = Field(None, description="Publication day (YYYY-MM-DD).")
    source: str | None = Field(None, max_length=200, description="The publisher (来源).")

    def metadata(self) -> dict[str, str | None]:
        return {
            "title": self.title or None,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source or None,
        }


class DocumentUpload(DocumentFields):
    """A document sent as JSON: its text is read as a ``.txt`` file's would be (repaired, cleaned, its head's date
    and source read)."""

    text: str = Field(
        ..., min_length=1, pattern=VISIBLE, description="The article's text, paragraphs apart by blank lines."
    )


class DocumentChange(BaseModel):
    doc_id: str
    passages: int = Field(..., description="The document's passages now in the index (0 once deleted).")
    index: str = INDEX_FIELD
    took_ms: float


class HealthResponse(BaseModel):
    status: Literal["ok"]
    passages: int
    documents: int
    model: str
    index: str = INDEX_FIELD
    index_dir: str = Field(description="Where the served index lives: its directory, or the Milvus URI and collection.")
    built_at: str


class ReloadResponse(BaseModel):
    status: Literal["reloaded"]
    index: str = INDEX_FIELD
    passages: int
    documents: int
    took_ms: float


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
