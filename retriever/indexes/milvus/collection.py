"""The Milvus side of an index: connection, collection schemas, names of generations, rows and filter expressions.

A build writes a *generation*: a passages collection with its documents and terms collections, named after the
service's alias and a timestamp. The alias points at the passages collection being served; the other two are found by
name from it, so moving the alias moves all three at once. A generation's manifest and mined aliases are properties
of its passages collection.

A server that implements neither aliases nor collection properties (the C++ engine of Milvus Lite 2.5, run as a
server) gets a *catalog* collection beside the generations instead: one row names the live generation (an upsert
moves it in one step, as the alias would) and rows per generation hold its manifest and aliases.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import grpc
from pymilvus import DataType, MilvusClient, MilvusException

from retriever.config import MILVUS_SERVER_SCHEMES, Settings
from retriever.errors import IndexLoadError
from retriever.indexes.backend import Filters
from retriever.indexes.manifest import FORMAT_VERSION, Manifest
from retriever.reading.documents import Document, Passage

MANIFEST_PROPERTY = "retriever.manifest"
ALIASES_PROPERTY = "retriever.aliases"
JOURNAL_PROPERTY = "retriever.update"
DOCUMENTS_SUFFIX = "__documents"
TERMS_SUFFIX = "__terms"
CATALOG_SUFFIX = "__catalog"
GENERATION_SEPARATOR = "__g"
MAX_VARCHAR = 65_535
"""Milvus's longest VARCHAR, in bytes."""
DOCUMENT_PART_CHARS = 16_000
"""Document text is stored in parts of this many characters: at most 4 bytes each, a part fits one VARCHAR."""
MAX_RESULT_WINDOW = 16_384
"""The most rows one Milvus search or query returns."""
ITERATION_BATCH = 4_000
FILTER_BATCH = 1_000
KEY_END = 2**63
"""Primary keys (hashes) are below this."""

PASSAGE_FIELDS = ["passage_id", "doc_id", "position", "start", "end", "text", "title", "section"]
DOCUMENT_FIELDS = ["doc_id", "part", "title", "text", "date", "source", "content_hash"]


@lru_cache(maxsize=8)
def _client(uri: str, token: str) -> MilvusClient:
    return MilvusClient(uri=uri, token=token)


def connect(settings: Settings) -> MilvusClient:
    """One client per URI per process (Milvus Lite opens its database file once)."""
    uri = settings.milvus_uri or ""
    if not uri.startswith(MILVUS_SERVER_SCHEMES):
        Path(uri).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        uri = str(Path(uri).expanduser().resolve())
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    try:
        return _client(uri, token)
    except MilvusException as exc:
        raise IndexLoadError(f"cannot reach Milvus at {settings.milvus_uri}: {exc.message}") from exc


def location(settings: Settings) -> str:
    return f"milvus {settings.milvus_uri} collection {settings.milvus_collection}"


def passage_key(passage_id: str) -> int:
    """A passage's primary key: 63 bits of the sha256 of its id, so a rebuilt passage keeps its key."""
    return int.from_bytes(hashlib.sha256(passage_id.encode()).digest()[:8], "big") >> 1


def part_key(name: str, part: int) -> int:
    """The primary key of part ``part`` of a text stored in parts (a document's, a catalog entry's)."""
    return passage_key(f"{name}\x00{part}")


def text_parts(text: str) -> list[str]:
    """``text`` cut into parts of ``DOCUMENT_PART_CHARS`` characters, each within one VARCHAR."""
    return [text[i : i + DOCUMENT_PART_CHARS] for i in range(0, len(text), DOCUMENT_PART_CHARS)]


def literal(value: str) -> str:
    """``value`` as a Milvus filter string literal (quotes and backslashes escaped)."""
    return json.dumps(value, ensure_ascii=False)


def in_filter(field: str, values: Iterable[int | str]) -> str:
    """A filter keeping rows whose ``field`` is one of ``values``."""
    items = ", ".join(str(int(v)) if isinstance(v, int) else literal(v) for v in values)
    return f"{field} in [{items}]"


def filter_expression(filters: Filters) -> str:
    """The passages-collection filter that keeps passages of documents passing ``filters`` (dates compare as ISO
    strings; a document without a date is stored with an empty one and fails any date bound)."""
    conditions = []
    if filters.date_from:
        conditions.append(f"date >= {literal(filters.date_from.isoformat())}")
    if filters.date_to:
        conditions.append(f'date != "" and date < {literal(filters.day_after_to)}')
    if filters.source:
        conditions.append(f"source == {literal(filters.source)}")
    if filters.doc_ids:
        conditions.append(in_filter("doc_id", filters.doc_ids))
    return " and ".join(conditions)


def new_generation_name(alias: str) -> str:
    return f"{alias}{GENERATION_SEPARATOR}{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"


def documents_collection(passages_collection: str) -> str:
    return passages_collection + DOCUMENTS_SUFFIX


def terms_collection(passages_collection: str) -> str:
    return passages_collection + TERMS_SUFFIX


def generation_collections(passages_collection: str) -> tuple[str, str, str]:
    """The passages, documents and terms collections of one generation."""
    return passages_collection, documents_collection(passages_collection), terms_collection(passages_collection)


def load_generation(client: MilvusClient, passages_collection: str) -> None:
    """Load a generation's collections for search and query (a new process finds them released)."""
    for collection in generation_collections(passages_collection):
        client.load_collection(collection)


def generations(client: MilvusClient, alias: str) -> list[str]:
    """The passages collections built for ``alias``, oldest first."""
    prefix = alias + GENERATION_SEPARATOR
    return sorted(
        name
        for name in client.list_collections()
        if name.startswith(prefix) and not name.endswith((DOCUMENTS_SUFFIX, TERMS_SUFFIX))
    )


def live_generation(client: MilvusClient, alias: str) -> str | None:
    """The passages collection ``alias`` points at, if any."""
    if not keeps_aliases(client):
        live = _catalog_text(client, alias, "", "live")
        return live if live in generations(client, alias) else None
    for name in generations(client, alias):
        if alias in client.list_aliases(name)["aliases"]:
            return name
    return None


def point_alias(client: MilvusClient, alias: str, collection: str) -> None:
    """Make ``alias`` serve the generation ``collection``, in one step."""
    if not keeps_aliases(client):
        _write_catalog(client, alias, "", "live", collection)
    elif live_generation(client, alias) is None:
        client.create_alias(collection, alias)
    else:
        client.alter_alias(collection, alias)


@lru_cache(maxsize=8)
def keeps_aliases(client: MilvusClient) -> bool:
    """Whether the server implements aliases and collection properties; without them the catalog stands in."""
    quiet = logging.getLogger("pymilvus.decorators")
    was_disabled, quiet.disabled = quiet.disabled, True  # the probe's expected failure is no error to report
    try:
        client.list_aliases()
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return False
        raise
    except MilvusException:
        return True
    finally:
        quiet.disabled = was_disabled
    return True


def dense_index(settings: Settings) -> dict[str, Any]:
    """The dense index a build creates (recorded in its manifest): type and build parameters."""
    params: dict[str, int] = {}
    if settings.milvus_index_type == "HNSW":
        params = {"M": settings.milvus_hnsw_m, "efConstruction": settings.milvus_hnsw_ef_construction}
    elif settings.milvus_index_type == "IVF_FLAT":
        params = {"nlist": settings.milvus_ivf_nlist}
    return {"index_type": settings.milvus_index_type, "params": params}


def dense_search_params(settings: Settings, n: int) -> dict[str, int]:
    """The search parameters of the dense index for the top ``n``: HNSW's breadth at least ``n``."""
    if settings.milvus_index_type == "HNSW":
        return {"ef": max(settings.milvus_hnsw_ef, n)}
    if settings.milvus_index_type == "IVF_FLAT":
        return {"nprobe": settings.milvus_ivf_nprobe}
    return {}


def create_generation(client: MilvusClient, name: str, dim: int, settings: Settings) -> None:
    """Create the passages collection ``name`` and its documents and terms collections, indexed and loaded."""
    _create(client, name, _passages_schema(client, dim), _passages_indexes(client, settings))
    for collection, schema in (
        (documents_collection(name), _documents_schema),
        (terms_collection(name), _terms_schema),
    ):
        index_params = client.prepare_index_params()
        index_params.add_index("placeholder", index_type="FLAT", metric_type="L2")
        _create(client, collection, schema(client), index_params)


def _create(client: MilvusClient, name: str, schema: Any, index_params: Any) -> None:
    # The indexes of an empty collection need no waiting for (and Milvus Lite cannot report on their progress).
    client.create_collection(name, schema=schema)
    client.create_index(name, index_params, sync=False)
    client.load_collection(name)


def drop_generation(client: MilvusClient, name: str) -> None:
    for collection in reversed(generation_collections(name)):
        if client.has_collection(collection):
            client.drop_collection(collection)
    if not keeps_aliases(client):
        for entry in ("properties", "journal"):
            _delete_catalog(client, _alias_of(name), name, entry)


def _passages_schema(client: MilvusClient, dim: int) -> Any:
    schema = client.create_schema(auto_id=False, description="retriever passages")
    schema.add_field("pid", DataType.INT64, is_primary=True)
    for name in ("passage_id", "doc_id", "text", "title", "section", "date", "source"):
        schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
    for name in ("position", "start", "end", "token_count"):
        schema.add_field(name, DataType.INT64)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    return schema


def _passages_indexes(client: MilvusClient, settings: Settings) -> Any:
    index_params = client.prepare_index_params()
    index_params.add_index("vector", metric_type="IP", **dense_index(settings))
    index_params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    return index_params


def _documents_schema(client: MilvusClient) -> Any:
    # Milvus needs a vector field in every collection; documents are only ever fetched by id.
    schema = client.create_schema(auto_id=False, description="retriever documents")
    schema.add_field("key", DataType.INT64, is_primary=True)
    for name in ("doc_id", "title", "text", "date", "source", "content_hash"):
        schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("part", DataType.INT64)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
    return schema


def _terms_schema(client: MilvusClient) -> Any:
    schema = client.create_schema(auto_id=False, description="retriever BM25 document frequencies")
    schema.add_field("dimension", DataType.INT64, is_primary=True)
    schema.add_field("df", DataType.INT64)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
    return schema


def passage_row(
    passage: Passage, document: Document, token_count: int, weights: dict[int, float], vector: Sequence[float]
) -> dict:
    """A passages row: the passage, its document's date and source, its token count, BM25 weights and vector."""
    return {
        "pid": passage_key(passage.passage_id),
        **{name: getattr(passage, name) for name in PASSAGE_FIELDS},
        "date": document.date or "",
        "source": document.source or "",
        "token_count": token_count,
        "bm25": weights,
        "vector": list(map(float, vector)),
    }


def term_rows(frequencies: dict[int, int]) -> list[dict]:
    return [{"dimension": d, "df": df, "placeholder": [0.0, 0.0]} for d, df in frequencies.items()]


def document_rows(document: Document, digest: str) -> list[dict]:
    parts = text_parts(document.text)
    return [
        {
            "key": part_key(document.doc_id, part),
            "doc_id": document.doc_id,
            "part": part,
            "title": document.title,
            "text": text,
            "date": document.date or "",
            "source": document.source or "",
            "content_hash": digest,
            "placeholder": [0.0, 0.0],
        }
        for part, text in enumerate(parts or [""])
    ]


def passage_of(row: dict) -> Passage:
    return Passage(**{name: row[name] for name in PASSAGE_FIELDS})


def documents_of(rows: Iterable[dict]) -> dict[str, Document]:
    """Documents reassembled from their part rows, by id."""
    by_id: dict[str, list[dict]] = {}
    for row in rows:
        by_id.setdefault(row["doc_id"], []).append(row)
    return {
        doc_id: Document(
            doc_id=doc_id,
            title=parts[0]["title"],
            text="".join(part["text"] for part in sorted(parts, key=lambda p: p["part"])),
            date=parts[0]["date"] or None,
            source=parts[0]["source"] or None,
        )
        for doc_id, parts in by_id.items()
    }


def write_properties(client: MilvusClient, collection: str, manifest: Manifest, aliases: list[tuple[str, str]]) -> None:
    properties = {MANIFEST_PROPERTY: manifest.to_json(), ALIASES_PROPERTY: json.dumps(aliases, ensure_ascii=False)}
    if keeps_aliases(client):
        client.alter_collection_properties(collection, properties=properties)
    else:
        _write_catalog(client, _alias_of(collection), collection, "properties", json.dumps(properties))


def read_properties(client: MilvusClient, collection: str, where: str) -> tuple[Manifest, list[tuple[str, str]]]:
    """The manifest and mined aliases a build stored on ``collection``."""
    if keeps_aliases(client):
        properties = client.describe_collection(collection).get("properties", {})
    else:
        stored = _catalog_text(client, _alias_of(collection), collection, "properties")
        properties = json.loads(stored) if stored else {}
    if MANIFEST_PROPERTY not in properties:
        raise IndexLoadError(f"{where} holds no finished build (no manifest); rebuild it")
    try:
        manifest = Manifest(**json.loads(properties[MANIFEST_PROPERTY]))
        aliases = [(short, full) for short, full in json.loads(properties.get(ALIASES_PROPERTY, "[]"))]
    except (ValueError, TypeError) as exc:
        raise IndexLoadError(f"damaged manifest on {where}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(f"{where} has format {manifest.format_version}, this version reads {FORMAT_VERSION}")
    return manifest, aliases


def write_journal(client: MilvusClient, collection: str, doc_ids: Sequence[str]) -> None:
    """Record that an in-place update of these documents is under way in ``collection`` (none: it finished)."""
    text = json.dumps(sorted(doc_ids), ensure_ascii=False)
    if keeps_aliases(client):
        client.alter_collection_properties(collection, properties={JOURNAL_PROPERTY: text})
    else:
        _write_catalog(client, _alias_of(collection), collection, "journal", text)


def read_journal(client: MilvusClient, collection: str) -> list[str]:
    """The documents of an in-place update of ``collection`` that did not finish (empty when none)."""
    if keeps_aliases(client):
        text = client.describe_collection(collection).get("properties", {}).get(JOURNAL_PROPERTY)
    else:
        text = _catalog_text(client, _alias_of(collection), collection, "journal")
    return json.loads(text) if text else []


def _alias_of(generation: str) -> str:
    return generation.rsplit(GENERATION_SEPARATOR, 1)[0]


def _catalog(client: MilvusClient, alias: str) -> str:
    """The catalog collection of ``alias``, created on first use."""
    name = alias + CATALOG_SUFFIX
    if not client.has_collection(name):
        schema = client.create_schema(auto_id=False, description="retriever catalog: live generation, manifests")
        schema.add_field("key", DataType.INT64, is_primary=True)
        for field in ("generation", "entry", "text"):
            schema.add_field(field, DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("part", DataType.INT64)
        schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
        index_params = client.prepare_index_params()
        index_params.add_index("placeholder", index_type="FLAT", metric_type="L2")
        client.create_collection(name, schema=schema, consistency_level="Strong")
        client.create_index(name, index_params, sync=False)
    client.load_collection(name)
    return name


def _catalog_filter(generation: str, entry: str) -> str:
    return f"generation == {literal(generation)} and entry == {literal(entry)}"


def _write_catalog(client: MilvusClient, alias: str, generation: str, entry: str, text: str) -> None:
    """Store ``text`` as the catalog entry ``entry`` of ``generation`` (parts of one VARCHAR each), replacing it."""
    catalog = _catalog(client, alias)
    parts = text_parts(text) or [""]
    rows = [
        {
            "key": part_key(f"{generation}\x00{entry}", part),
            "generation": generation,
            "entry": entry,
            "part": part,
            "text": chunk,
            "placeholder": [0.0, 0.0],
        }
        for part, chunk in enumerate(parts)
    ]
    client.upsert(catalog, rows)
    client.delete(catalog, filter=f"{_catalog_filter(generation, entry)} and part >= {len(parts)}")


def _catalog_text(client: MilvusClient, alias: str, generation: str, entry: str) -> str | None:
    if not client.has_collection(alias + CATALOG_SUFFIX):
        return None
    rows = client.query(
        _catalog(client, alias),
        filter=_catalog_filter(generation, entry),
        output_fields=["part", "text"],
        consistency_level="Strong",
    )
    return "".join(row["text"] for row in sorted(rows, key=lambda row: row["part"])) if rows else None


def _delete_catalog(client: MilvusClient, alias: str, generation: str, entry: str) -> None:
    if client.has_collection(alias + CATALOG_SUFFIX):
        client.delete(_catalog(client, alias), filter=_catalog_filter(generation, entry))


def iterate(
    client: MilvusClient, collection: str, key: str, output_fields: list[str], filter: str = ""
) -> Iterator[dict]:
    """Every row of ``collection`` matching ``filter``, in batches of at most ``ITERATION_BATCH`` rows.

    Keys are hashes, spread evenly, so halving the key range until a part holds few enough rows keeps every query
    within Milvus's result window without a server-side iterator (which Milvus Lite lacks).
    """
    yield from _rows_between(client, collection, key, output_fields, filter, 0, KEY_END)


def rows_of_documents(
    client: MilvusClient, collection: str, key: str, output_fields: list[str], doc_ids: Sequence[str]
) -> Iterator[dict]:
    """Every row of ``collection`` belonging to one of ``doc_ids`` (asked for a thousand documents at a time, to keep
    filter expressions short)."""
    for first in range(0, len(doc_ids), FILTER_BATCH):
        yield from iterate(
            client, collection, key, output_fields, in_filter("doc_id", doc_ids[first : first + FILTER_BATCH])
        )


def _rows_between(
    client: MilvusClient, collection: str, key: str, fields: list[str], filter: str, low: int, high: int
) -> Iterator[dict]:
    bounds = f"{key} >= {low} and {key} <= {high - 1}" + (f" and ({filter})" if filter else "")
    count = client.query(collection, filter=bounds, output_fields=["count(*)"])[0]["count(*)"]
    if count <= ITERATION_BATCH or high - low < 2:
        if count:
            yield from client.query(collection, filter=bounds, output_fields=[key, *fields], limit=MAX_RESULT_WINDOW)
        return
    middle = (low + high) // 2
    yield from _rows_between(client, collection, key, fields, filter, low, middle)
    yield from _rows_between(client, collection, key, fields, filter, middle, high)
