"""Indexes: the seam that opens and writes either engine (:mod:`retriever.indexes.seam`), the shared build steps,
the manifest, the index directory (FAISS, bm25s, SQLite passages) and Milvus. Imports query, model and below."""
