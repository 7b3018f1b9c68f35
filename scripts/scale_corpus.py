"""A large synthetic corpus for the scale benchmark, made by recombining real sentences, with vectors derived
from real ones.

Every paragraph is three to seven real sentences of the sample corpus and the CMRC 2018 trial file. The first
``base`` paragraphs are drawn freely and embedded with the real encoder. Every other paragraph is a variant of one
base paragraph (one sentence swapped for another real sentence, the order shuffled, under another real title) and
gets that base paragraph's vector plus Gaussian noise, re-normalised. The noise is calibrated so that the noisy
vectors sit as far from their base as the encoder puts real variants (measured on a sample of variants).

Reaches past the public API: it cuts text with the reader's segmenter and checks it with the build's chunking.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retriever import Document, Passage, Settings
from retriever.evaluation.evaluate import load_squad
from retriever.indexes.pipeline import passages_of
from retriever.reading.loader import iter_corpus
from retriever.reading.paragraphs import ends_sentence
from retriever.reading.segment import classify, matching_text, paragraph_spans, sentence_spans

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = PROJECT_ROOT / "retriever" / "data" / "corpus"
CMRC_FILE = PROJECT_ROOT / "data" / "eval" / "cmrc2018_trial.json"
MIN_SENTENCE_CHARS = 10
MAX_SENTENCE_CHARS = 160
MIN_PARAGRAPH_CHARS = 80
MAX_PARAGRAPH_CHARS = 380
"""Below ``chunk_min_chars`` a paragraph would merge with the next, above ``chunk_max_chars`` it would split:
in between, every paragraph becomes exactly one passage."""
MAX_PARAGRAPHS_PER_DOCUMENT = 8
VARIANT_TRIES = 20


@dataclass(frozen=True)
class Source:
    """The real sentences and titles everything is recombined from."""

    sentences: list[str]
    titles: list[str]


def usable(sentence: str) -> bool:
    """One line of a usable length that closes with sentence punctuation and is no caption: any paragraph of such
    sentences is a body paragraph to the chunker."""
    return (
        MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS
        and "\n" not in sentence
        and ends_sentence(sentence)
        and classify(sentence) == "body"
    )


def real_source() -> Source:
    """Usable sentences (deduplicated) and titles of the sample corpus and the CMRC trial file."""
    documents = list(iter_corpus(CORPUS_DIR)) + load_squad(CMRC_FILE).documents
    sentences = [
        document.text[s:e]
        for document in documents
        for start, end in paragraph_spans(document.text)
        for s, e in sentence_spans(document.text, start, end)
    ]
    titles = [document.title for document in documents if document.title]
    return Source(list(dict.fromkeys(filter(usable, sentences))), list(dict.fromkeys(titles)))


def chars(sentences: Sequence[str]) -> int:
    return sum(len(sentence) for sentence in sentences)


def fresh_paragraph(rng: random.Random, source: Source) -> list[str]:
    """Three to seven random real sentences, together at least ``MIN_PARAGRAPH_CHARS`` and at most
    ``MAX_PARAGRAPH_CHARS`` long (a sentence that would overflow ends the paragraph)."""
    sentences: list[str] = []
    wanted = rng.randint(3, 7)
    while len(sentences) < wanted or chars(sentences) < MIN_PARAGRAPH_CHARS:
        sentence = rng.choice(source.sentences)
        if chars(sentences) + len(sentence) > MAX_PARAGRAPH_CHARS:
            break
        sentences.append(sentence)
    return sentences


def variant(rng: random.Random, base: Sequence[str], source: Source) -> list[str]:
    """``base`` with one sentence replaced by a random real sentence that keeps the paragraph within its length
    bounds (after ``VARIANT_TRIES`` misses, by itself), in shuffled order."""
    sentences = list(base)
    replaced = rng.randrange(len(sentences))
    rest = chars(sentences) - len(sentences[replaced])
    for _ in range(VARIANT_TRIES):
        candidate = rng.choice(source.sentences)
        if MIN_PARAGRAPH_CHARS <= rest + len(candidate) <= MAX_PARAGRAPH_CHARS:
            sentences[replaced] = candidate
            break
    rng.shuffle(sentences)
    return sentences


@dataclass
class Documents:
    """Synthetic documents and, for each of their paragraphs in order, the base paragraph it derives from."""

    documents: list[Document]
    paragraph_bases: list[int]


def assemble(
    rng: random.Random, paragraphs: list[list[str]], bases: list[int], prefix: str, source: Source
) -> Documents:
    """Group paragraphs into documents of one to ``MAX_PARAGRAPHS_PER_DOCUMENT`` paragraphs under real titles."""
    documents: list[Document] = []
    first = 0
    while first < len(paragraphs):
        last = min(len(paragraphs), first + rng.randint(1, MAX_PARAGRAPHS_PER_DOCUMENT))
        text = "\n\n".join("".join(sentences) for sentences in paragraphs[first:last])
        documents.append(Document(f"{prefix}/{len(documents):07d}", rng.choice(source.titles), text))
        first = last
    return Documents(documents, bases)


def base_documents(rng: random.Random, source: Source, count: int) -> tuple[Documents, list[list[str]]]:
    """``count`` freely drawn paragraphs in documents, and the paragraphs' sentences for making variants."""
    paragraphs = [fresh_paragraph(rng, source) for _ in range(count)]
    return assemble(rng, paragraphs, list(range(count)), "base", source), paragraphs


def variant_documents(rng: random.Random, source: Source, bases: list[list[str]], count: int) -> Documents:
    """``count`` paragraphs, each a variant of a random base paragraph, in documents."""
    chosen = [rng.randrange(len(bases)) for _ in range(count)]
    paragraphs = [variant(rng, bases[b], source) for b in chosen]
    return assemble(rng, paragraphs, chosen, "scale", source)


def passages_and_bases(documents: Documents, settings: Settings) -> tuple[list[Passage], np.ndarray]:
    """The passages the build makes of ``documents`` (one per paragraph, in order) and each one's base paragraph."""
    passages = passages_of(documents.documents, settings)
    if len(passages) != len(documents.paragraph_bases):
        raise RuntimeError(f"{len(documents.paragraph_bases)} paragraphs became {len(passages)} passages, not one each")
    return passages, np.asarray(documents.paragraph_bases, dtype=np.int64)


def cached_vectors(
    cache_dir: Path, name: str, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """``encode(texts)``, kept in ``cache_dir`` under a hash of the texts so that a rerun does not encode again."""
    key = hashlib.sha256("\n\0".join(texts).encode()).hexdigest()[:16]
    path = cache_dir / f"{name}-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = encode(list(texts))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def noise_scale(target_cosine: float, dim: int) -> float:
    """The per-dimension standard deviation of Gaussian noise that, added to a unit vector and re-normalised,
    leaves it at cosine ``target_cosine`` to the original (in expectation, for large ``dim``)."""
    return float(np.sqrt((1.0 / target_cosine**2 - 1.0) / dim))


def noisy(base_vectors: np.ndarray, bases: np.ndarray, sigma: float, seed: int, chunk: int = 65_536) -> np.ndarray:
    """``base_vectors[bases]`` plus N(0, sigma²) per dimension, re-normalised to unit length."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((len(bases), base_vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(bases), chunk):
        block = base_vectors[bases[start : start + chunk]]
        block = block + rng.normal(0.0, sigma, size=block.shape).astype(np.float32)
        vectors[start : start + chunk] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Mean row-wise cosine of two sets of unit vectors."""
    return float(np.mean(np.sum(a * b, axis=1)))


def matching_texts(passages: Sequence[Passage]) -> list[str]:
    return [matching_text(passage) for passage in passages]
